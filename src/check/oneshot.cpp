#include "check/oneshot.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/dns_validate.hpp"
#include "check/service_compare.hpp"
#include "core/dns_text.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_a = 1, type_ns = 2, type_soa = 6, type_aaaa = 28;

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

probes::probe_request dns_request(const std::string& qname, std::uint16_t qtype, const std::string& transport,
                                  const std::string& path, const ip_endpoint& target, bool rd) {
  probes::probe_request r;
  std::string n = canonical_name(qname);
  r.name = n.size() > 1 ? n.substr(0, n.size() - 1) : n;
  r.service = "dns/" + transport;
  r.path = path;
  r.target = target;
  r.qname = n;
  r.qtype = qtype;
  r.recursion_desired = rd;
  return r;
}

// Transport failures only: without zone files there is nothing to compare the answers with.
void add_dns_result(const probes::probe_result& res, const std::string& zone, std::uint16_t qtype, run_result& out) {
  out.checks.push_back(res.check);
  if (!res.failure) return;
  dns_expectation e;
  e.zone = zone.empty() ? "." : zone;
  e.qtype = qtype;
  for (auto& f : validate_dns(res, e)) out.findings.push_back(std::move(f));
}

}  // namespace

std::vector<ip_address> answer_addresses(const std::vector<std::string>& records) {
  std::vector<ip_address> out;
  for (const auto& rr : records) {
    auto w = split_words(rr);
    if (w.size() == 3 && (w[1] == "A" || w[1] == "AAAA"))
      if (auto a = ip_address::parse(w[2])) out.push_back(*a);
  }
  return out;
}

std::optional<std::string> zone_from_soa(const probes::dns_outcome& outcome) {
  for (const auto* section : {&outcome.answer, &outcome.authority})
    for (const auto& rr : *section) {
      auto w = split_words(rr);
      if (w.size() >= 2 && w[1] == "SOA") return w[0];
    }
  return std::nullopt;
}

void run_without_config(const run_options& o, const std::optional<ip_endpoint>& resolver, const execute_options& exec,
                        run_result& out) {
  out.notes.push_back(
      "without the zone files, answers are not compared with them: wrong-answer, view-leak, stale-zone and the "
      "view diff were not checked");
  bool want_dns = o.services.empty() ||
                  std::any_of(o.services.begin(), o.services.end(), [](auto& s) { return s.rfind("dns", 0) == 0; });
  std::vector<std::uint16_t> qtypes;
  if (o.ipv4) qtypes.push_back(type_a);
  if (o.ipv6) qtypes.push_back(type_aaaa);

  // Round 1: the internal resolver's answers, and the zone of each name.
  std::map<std::string, std::vector<ip_address>> internal_addrs, external_addrs;
  std::map<std::string, std::string> zone_of;
  if (resolver) {
    std::vector<probes::probe_request> reqs;
    for (const auto& n : o.names) {
      for (auto t : qtypes) reqs.push_back(dns_request(n, t, "udp", "resolver", *resolver, true));
      reqs.push_back(dns_request(n, type_soa, "udp", "resolver", *resolver, true));
    }
    auto res = execute(reqs, exec);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      const std::string n = reqs[i].qname;
      if (reqs[i].qtype == type_soa) {
        if (res[i].dns)
          if (auto z = zone_from_soa(*res[i].dns)) zone_of[n] = *z;
        continue;
      }
      add_dns_result(res[i], "", reqs[i].qtype, out);
      if (res[i].dns)
        for (const auto& a : answer_addresses(res[i].dns->answer)) internal_addrs[n].push_back(a);
    }
  } else {
    out.notes.push_back("no resolver (--resolver, /etc/resolv.conf): the internal answers were not asked");
  }

  // Round 2 and 3: the external DNS server, given or found through the zone's NS records.
  std::vector<ip_endpoint> servers = o.external_dns;
  if (servers.empty() && resolver) {
    std::set<std::string> zones;
    for (const auto& [n, z] : zone_of) zones.insert(z);
    std::vector<probes::probe_request> ns_reqs;
    for (const auto& z : zones) ns_reqs.push_back(dns_request(z, type_ns, "udp", "resolver", *resolver, true));
    auto ns_res = execute(ns_reqs, exec);
    std::set<std::string> targets;
    for (const auto& r : ns_res)
      if (r.dns)
        for (const auto& rr : r.dns->answer) {
          auto w = split_words(rr);
          if (w.size() == 3 && w[1] == "NS") targets.insert(w[2]);
        }
    std::vector<probes::probe_request> a_reqs;
    for (const auto& t : targets) a_reqs.push_back(dns_request(t, type_a, "udp", "resolver", *resolver, true));
    auto a_res = execute(a_reqs, exec);
    for (const auto& r : a_res)
      if (r.dns)
        for (const auto& a : answer_addresses(r.dns->answer)) servers.push_back({a, 53});
    std::sort(servers.begin(), servers.end());
    servers.erase(std::unique(servers.begin(), servers.end()), servers.end());
    if (!servers.empty()) {
      std::string list;
      for (const auto& s : servers) list += (list.empty() ? "" : ", ") + s.str();
      out.notes.push_back(fmt::format(
          "external DNS found through the zone's NS records as the resolver gives them: {} (in a split horizon "
          "these may be internal addresses; give the public one with --external-dns)",
          list));
    }
  }
  if (servers.empty())
    out.notes.push_back("no external DNS server known (--external-dns): the answers through the hairpin were not asked");

  // Round 4: the external answers, through the hairpin, over UDP and TCP.
  {
    std::vector<probes::probe_request> reqs;
    for (const auto& n : o.names)
      for (const auto& s : servers)
        for (auto t : qtypes)
          for (const char* transport : {"udp", "tcp"})
            if (want_dns || t == type_a) reqs.push_back(dns_request(n, t, transport, "hairpin", s, false));
    auto res = execute(reqs, exec);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      if (want_dns) add_dns_result(res[i], zone_of[reqs[i].qname], reqs[i].qtype, out);
      if (res[i].dns)
        for (const auto& a : answer_addresses(res[i].dns->answer)) external_addrs[reqs[i].qname].push_back(a);
    }
  }

  // Round 5: the services, on the external address (hairpin) and on a different internal one (direct).
  std::vector<probes::probe_request> reqs;
  std::vector<std::string> keys;
  for (const auto& n : o.names) {
    auto ext = external_addrs[n];
    auto in = internal_addrs[n];
    std::sort(ext.begin(), ext.end());
    ext.erase(std::unique(ext.begin(), ext.end()), ext.end());
    if (ext.empty()) ext = in;  // no external answer: the resolver's is all there is
    std::vector<std::string> services;
    for (const auto& s : o.services)
      if (s.rfind("dns", 0) != 0) services.push_back(s);
    if (o.services.empty()) services = {"https"};
    for (const auto& e : ext) {
      for (const auto& s : services) {
        std::uint16_t port = s == "https" ? 443 : s == "http" ? 80 : s == "smtp" ? 25 : s == "imaps" ? 993
                             : static_cast<std::uint16_t>(std::stoul(s.substr(4)));
        probes::probe_request r;
        r.name = n.size() > 1 ? n.substr(0, n.size() - 1) : n;
        r.service = s;
        r.path = "hairpin";
        r.target = {e, port};
        reqs.push_back(r);
        keys.push_back(n + "|" + s + "|" + e.str());
        for (const auto& i : in)
          if (i != e && i.v6 == e.v6) {
            r.path = "direct";
            r.target = {i, port};
            reqs.push_back(r);
            keys.push_back(n + "|" + s + "|" + e.str());
            break;
          }
      }
    }
  }
  auto res = execute(reqs, exec);
  std::map<std::string, std::pair<const probes::probe_result*, const probes::probe_result*>> pairs;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    auto& slot = pairs[keys[i]];
    (reqs[i].path == "direct" ? slot.second : slot.first) = &res[i];
  }
  service_compare_options so;
  so.warning_days = o.cert_warn_days;
  so.critical_days = o.cert_crit_days;
  for (auto& [key, p] : pairs)
    for (auto& f : compare_service(p.first, p.second, so)) out.findings.push_back(std::move(f));
  for (auto& r : res) {
    if (r.tls && r.tls->not_after && !r.check.cert_not_after) r.check.cert_not_after = r.tls->not_after;
    out.checks.push_back(r.check);
  }
}

}  // namespace hc::check
