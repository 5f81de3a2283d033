#include "check/dns_validate.hpp"

#include <algorithm>

#include "core/dns_text.hpp"

namespace hc::check {
namespace {

std::string join(const std::vector<std::string>& v) {
  if (v.empty()) return "(no records)";
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += "; ";
    out += s;
  }
  return out;
}

std::string rcode_text(int rcode) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  if (rcode >= 0 && rcode < 6) return names[rcode];
  return "RCODE" + std::to_string(rcode);
}

// The owner of a canonical record text ("blog.debugo.fr. A 1.2.3.4" → "blog.debugo.fr.").
std::string owner_of(const std::string& rr) { return rr.substr(0, rr.find(' ')); }

std::string type_of(const std::string& rr) {
  auto a = rr.find(' ');
  if (a == std::string::npos) return {};
  auto b = rr.find(' ', a + 1);
  return rr.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

bool name_in_zone(const std::string& name, const std::string& zone) {
  if (zone == ".") return true;
  if (name == zone) return true;
  return name.size() > zone.size() && name.compare(name.size() - zone.size(), zone.size(), zone) == 0 &&
         name[name.size() - zone.size() - 1] == '.';
}

std::vector<std::string> without_soa(std::vector<std::string> v) {
  std::erase_if(v, [](const std::string& rr) { return type_of(rr) == "SOA"; });
  return v;
}

// "missing: ...; unexpected: ..." between what was served and what was expected.
std::string difference(const std::vector<std::string>& served, const std::vector<std::string>& expected) {
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), served.begin(), served.end(), std::back_inserter(missing));
  std::set_difference(served.begin(), served.end(), expected.begin(), expected.end(), std::back_inserter(extra));
  std::string out;
  if (!missing.empty()) out += "missing " + join(missing);
  if (!extra.empty()) out += std::string(out.empty() ? "" : ", ") + "not in the zone file " + join(extra);
  return out;
}

finding base_finding(const probes::probe_result& result, const dns_expectation& expect, finding_kind kind) {
  finding f;
  f.kind = kind;
  f.sev = default_severity(kind);
  f.name = display_name(result.check.name);
  f.zone = display_name(canonical_name(expect.zone));
  f.view = expect.view;
  f.type = rr_type_name(expect.qtype);
  f.service = result.check.service;
  f.path = result.check.path;
  f.address = result.check.address;
  return f;
}

std::string target_text(const probes::probe_result& result) {
  if (auto a = ip_address::parse(result.check.address)) return ip_endpoint{*a, result.check.port}.str();
  return result.check.address + "#" + std::to_string(result.check.port);
}

finding transport_finding(const probes::probe_result& result, const dns_expectation& expect) {
  // A failed probe without a kind is a fault of ours: not-checked, never an OK and never the server's.
  finding f = base_finding(result, expect, result.failure.value_or(finding_kind::not_checked));
  f.evidence = result.check.detail;
  f.fix = result.hint;
  if (result.failure == finding_kind::unexpected_source && result.dns && !result.dns->unexpected_sources.empty()) {
    const ip_endpoint& stray = result.dns->unexpected_sources.front();
    f.evidence = "reply from " + stray.str() + ", expected " + target_text(result);
    ip_address internal = expect.internal_address.value_or(stray.address);
    bool udp = result.check.service != "dns/tcp";
    if (expect.lan_prefix && ip_address::parse(result.check.address)) {
      f.fix = "iptables -t nat -A POSTROUTING -s " + expect.lan_prefix->str() + " -d " + internal.str() + " -p " +
              (udp ? "udp" : "tcp") + " --dport " + std::to_string(stray.port) + " -j SNAT --to " +
              result.check.address;
    } else {
      f.fix = "the DNS server " + internal.str() + " answers the LAN client directly instead of through the router: " +
              "add an SNAT (or MASQUERADE) rule in the router's nat POSTROUTING chain for LAN sources going to " +
              internal.str() + " port " + std::to_string(stray.port) + ", so replies return through the NAT from " +
              result.check.address;
    }
  }
  if (f.fix.empty()) {
    if (f.kind == finding_kind::not_checked)
      f.fix = "nothing is known about the server: fix the cause named in the evidence and run again";
    else if (f.kind == finding_kind::timeout)
      f.fix = "check that a DNS server listens on " + target_text(result) + " and that no firewall drops the query";
    else if (f.kind == finding_kind::refused)
      f.fix = "nothing answers DNS on " + target_text(result) + ", or a firewall rejects it";
    else if (f.kind == finding_kind::reset)
      f.fix = "the server closed the connection; check its TCP limits and logs";
    else if (f.kind == finding_kind::truncated_no_tcp)
      f.fix = "allow DNS over TCP port 53 to " + result.check.address;
  }
  return f;
}

}  // namespace

std::vector<std::string> in_zone_records(const std::vector<std::string>& records, const std::string& zone) {
  std::string z = canonical_name(zone);
  std::vector<std::string> out;
  for (const auto& rr : records)
    if (name_in_zone(owner_of(rr), z)) out.push_back(rr);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void annotate_dns_check(check_result& check, const dns_expectation& expect) {
  check.zone = display_name(canonical_name(expect.zone));
  check.view = expect.view;
  check.file_serial = expect.file_serial;
}

std::vector<finding> validate_dns(const probes::probe_result& result, const dns_expectation& expect) {
  std::vector<finding> out;
  if (result.failure || !result.check.ok) {
    out.push_back(transport_finding(result, expect));
    return out;
  }
  if (!result.check.ok || !result.dns || result.dns->rcode < 0) return out;
  const probes::dns_outcome& d = *result.dns;

  bool stale = expect.file_serial && d.soa_serial && *expect.file_serial != *d.soa_serial;
  auto prepare = [&](const std::vector<std::string>& v) {
    auto r = in_zone_records(v, expect.zone);
    return stale ? without_soa(std::move(r)) : r;
  };
  auto served = prepare(d.answer);
  auto expected = prepare(expect.expected_answer);
  bool as_expected = served == expected && d.rcode == expect.expected_rcode;

  bool leaked = false;
  if (!as_expected) {
    if (expect.other_view_answer) {
      auto other = prepare(*expect.other_view_answer);
      bool decidable = other != expected || expect.other_view_rcode != expect.expected_rcode;
      if (decidable && served == other && d.rcode == expect.other_view_rcode) {
        leaked = true;
        finding f = base_finding(result, expect, finding_kind::view_leak);
        std::string other_name = expect.other_view.empty() ? "the other view" : "view " + expect.other_view;
        f.evidence = "answered " + rcode_text(d.rcode) + " " + join(served) + ", which is " + other_name +
                     "'s data; view " + expect.view + " has " + rcode_text(expect.expected_rcode) + " " +
                     join(expected);
        f.fix = "queries arriving through the hairpin match " + other_name +
                ": make the router's loopback SNAT use an address outside that view's match-clients, "
                "or tell the views apart with match-destinations";
        out.push_back(std::move(f));
      }
    }
    if (!leaked) {
      finding f = base_finding(result, expect, finding_kind::wrong_answer);
      f.evidence = "served " + rcode_text(d.rcode) + " " + join(served) + "; zone file of view " + expect.view +
                   " has " + rcode_text(expect.expected_rcode) + " " + join(expected);
      if (d.rcode == expect.expected_rcode) f.evidence += " (" + difference(served, expected) + ")";
      f.fix = "check that " + result.check.address + " serves view " + expect.view + " from this zone file, and reload it (rndc reload " +
              display_name(canonical_name(expect.zone)) + " IN " + expect.view + ")";
      out.push_back(std::move(f));
    }
  }
  if (stale && !leaked) {
    finding f = base_finding(result, expect, finding_kind::stale_zone);
    f.evidence = "served serial " + std::to_string(*d.soa_serial) + ", zone file of view " + expect.view + " has " +
                 std::to_string(*expect.file_serial);
    f.fix = "rndc reload " + display_name(canonical_name(expect.zone)) + " IN " + expect.view +
            " (on a secondary: check NOTIFY and zone transfers from the primary)";
    out.push_back(std::move(f));
  }
  // A signed question reached the view of its key: the findings say which key asked.
  if (!d.tsig_key_name.empty())
    for (auto& f : out) f.evidence += " (asked with TSIG key " + d.tsig_key_name + ", reply signature verified)";
  return out;
}

}  // namespace hc::check
