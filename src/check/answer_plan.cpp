#include "check/answer_plan.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/delegation.hpp"
#include "check/services.hpp"
#include "check/stage.hpp"
#include "core/dns_text.hpp"
#include "core/input_file.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_a = 1, type_ns = 2, type_soa = 6, type_aaaa = 28;
constexpr std::uint64_t max_hints_bytes = 1 << 20;  // a root hints file is 3 KiB

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

std::string join(const std::vector<ip_address>& as) {
  std::string out;
  for (const auto& a : as) out += (out.empty() ? "" : ", ") + a.str();
  return out.empty() ? "none" : out;
}

void sort_unique(std::vector<ip_address>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// What one side (resolver or external DNS) said about one name.
struct side {
  bool asked = false;      // a question got an answer (any rcode)
  bool nxdomain = false;   // every answer was NXDOMAIN
  std::vector<ip_address> addresses;
};

class answer_planner {
 public:
  answer_planner(const std::vector<std::string>& names, const run_options& o, const vantage_point& vp, const send_fn& send)
      : names_(names), o_(o), vp_(vp), send_(send) {
    if (o.ipv4) qtypes_.push_back(type_a);
    if (o.ipv6) qtypes_.push_back(type_aaaa);
    want_dns_ = o.services.empty() || std::any_of(o.services.begin(), o.services.end(),
                                                  [](const std::string& s) { return s.rfind("dns", 0) == 0; });
  }

  plan run() {
    p_.notes.push_back(
        "without the zone files, answers are not compared with them: wrong-answer, view-leak and stale-zone were "
        "not checked for " + list_names());
    ask_resolver();
    find_external_servers();
    ask_external();
    compare_sides();
    plan_services();
    return std::move(p_);
  }

 private:
  std::string list_names() const {
    std::string out;
    for (std::size_t i = 0; i < names_.size() && i < 5; ++i) out += (out.empty() ? "" : ", ") + display_name(names_[i]);
    if (names_.size() > 5) out += fmt::format(" and {} more", names_.size() - 5);
    return out;
  }

  bool want_transport(const std::string& t) const {
    return o_.services.empty() || std::find(o_.services.begin(), o_.services.end(), "dns/" + t) != o_.services.end();
  }

  probes::probe_request question(const std::string& qname, std::uint16_t qtype, const std::string& transport,
                                 const std::string& path, const ip_endpoint& target, bool rd) const {
    probes::probe_request r;
    r.name = display_name(qname);
    r.service = "dns/" + transport;
    r.path = path;
    r.target = target;
    r.qname = canonical_name(qname);
    r.qtype = qtype;
    r.recursion_desired = rd;
    return r;
  }

  // Adds a discovery probe that was carried out to the plan, to be judged with the others.
  void add_done(const probes::probe_request& req, probes::probe_result res, const std::string& zone) {
    dns_probe_plan d;
    d.request = req;
    d.expect.zone = zone.empty() ? "." : zone;
    d.expect.qtype = req.qtype;
    d.expect.lan_prefix = vp_.lan.empty() ? std::nullopt : std::optional<ip_prefix>(vp_.lan.front());
    d.answers_unknown = true;
    d.done = std::move(res);
    p_.dns.push_back(std::move(d));
  }

  static void record(side& s, const probes::probe_result& res) {
    if (!res.check.ok || !res.dns || res.dns->rcode < 0) return;
    s.nxdomain = (s.asked ? s.nxdomain : true) && res.dns->rcode == 3;
    s.asked = true;
    for (const auto& a : answer_addresses(res.dns->answer)) s.addresses.push_back(a);
  }

  // Round 1: the internal resolver's answers, and the zone of each name.
  void ask_resolver() {
    if (!vp_.resolver) {
      p_.notes.push_back("no resolver (--resolver, /etc/resolv.conf): the internal answers were not asked");
      for (const auto& n : names_)
        p_.findings.push_back(not_checked(display_name(n), "no internal resolver known: the internal answer was not asked",
                                          "give the internal resolver with --resolver ADDR"));
      return;
    }
    std::vector<probes::probe_request> reqs;
    for (const auto& n : names_) {
      for (auto t : qtypes_) reqs.push_back(question(n, t, "udp", "resolver", *vp_.resolver, true));
      reqs.push_back(question(n, type_soa, "udp", "resolver", *vp_.resolver, true));
    }
    auto res = send_(reqs);
    for (std::size_t i = 0; i < reqs.size(); ++i)
      if (reqs[i].qtype == type_soa && res[i].dns)
        if (auto z = zone_from_soa(*res[i].dns)) zone_of_[reqs[i].qname] = *z;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      if (reqs[i].qtype == type_soa) continue;
      record(internal_[reqs[i].qname], res[i]);
      add_done(reqs[i], std::move(res[i]), zone_of_[reqs[i].qname]);
    }
    for (const auto& n : names_) {
      const side& s = internal_[n];
      if (!s.asked || !s.addresses.empty()) continue;
      finding f;
      f.kind = finding_kind::no_such_name;
      f.sev = default_severity(f.kind);
      f.name = display_name(n);
      f.path = "resolver";
      f.service = "dns/udp";
      f.address = vp_.resolver->address.str();
      f.evidence = s.nxdomain ? fmt::format("the resolver {} answers NXDOMAIN", vp_.resolver->str())
                              : fmt::format("the resolver {} has neither A nor AAAA for it", vp_.resolver->str());
      f.fix = "check the name; publish it in the zone that LAN clients resolve (the internal view)";
      p_.findings.push_back(std::move(f));
    }
  }

  // The DNS server on the public address: --external-dns, else the zone's public delegation walked
  // from the root servers, else (the walk failed) the zone's NS records as the resolver gives them.
  void find_external_servers() {
    servers_ = o_.external_dns;
    if (!servers_.empty()) return;
    if (walk_delegation()) return;
    if (!vp_.resolver) return;
    find_external_by_resolver();
    if (!servers_.empty() || !external_unknown_.empty())
      p_.notes.push_back(fmt::format("the public delegation could not be walked from the root servers ({}): the "
                                     "external DNS was taken from the zone's NS records as the resolver gives them",
                                     walk_failure_));
  }

  // The root servers to start the walk at, from the hints file; empty with walk_failure_ set when
  // there are none. A hints file that cannot be read or parsed is a config-error.
  std::vector<ip_address> root_servers() {
    if (o_.root_hints.empty()) {
      walk_failure_ = "no root hints (--root-hints none, or /usr/share/dns/root.hints absent)";
      return {};
    }
    std::string error;
    auto text = read_regular_file(o_.root_hints, max_hints_bytes, error);
    if (!text) {
      p_.findings.push_back(config_error(fmt::format("{}: cannot read the root hints: {}", o_.root_hints, error),
                                         "give a readable BIND hints file with --root-hints FILE"));
      walk_failure_ = fmt::format("the root hints {} cannot be read", o_.root_hints);
      return {};
    }
    diagnostics diags;
    auto roots = parse_root_hints(*text, o_.root_hints, diags);
    for (const auto& d : diags.all())
      if (d.is_error)
        p_.findings.push_back(config_error(d.str(), "correct the root hints file (BIND's named.root format)"));
    if (roots.empty()) walk_failure_ = fmt::format("the root hints {} give no root server", o_.root_hints);
    return roots;
  }

  // The walk of the public delegation of every name's zone (of the name itself when the resolver
  // gave no zone). False when it found no server at all, with walk_failure_ saying why.
  bool walk_delegation() {
    auto roots = root_servers();
    if (roots.empty()) return false;
    delegation_limits limits;
    limits.ipv4 = o_.ipv4;
    limits.ipv6 = o_.ipv6;
    // Half the run at most, so that the checks themselves keep time.
    const auto budget = std::chrono::duration_cast<probes::clock::duration>(std::chrono::duration<double>(o_.timeout_s / 2));
    delegation_walker walker(send_, std::move(roots), limits, probes::clock::now() + budget);
    std::vector<std::pair<std::string, bool>> targets;
    for (const auto& n : names_) {
      auto z = zone_of_.find(n);
      std::pair<std::string, bool> t = z != zone_of_.end() && !z->second.empty() ? std::pair{z->second, true}
                                                                               : std::pair{n, false};
      if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(std::move(t));
    }
    std::vector<ip_address> found, inside;
    std::vector<std::string> walked, failures;
    for (const auto& [target, exact] : targets) {
      auto r = walker.walk(target, exact);
      if (!r.found) {
        failures.push_back(fmt::format("{}: {}", display_name(target), r.failure));
        continue;
      }
      std::string cuts;
      for (const auto& c : r.cuts) cuts += (cuts.empty() ? "" : " > ") + c;
      walked.push_back(fmt::format("{} ({}) served by {}", display_name(r.zone), cuts, join(r.addresses)));
      for (const auto& a : r.addresses) (is_public_address(a, vp_.lan) ? found : inside).push_back(a);
    }
    std::string failed;
    for (const auto& f : failures) failed += (failed.empty() ? "" : "; ") + f;
    if (walked.empty()) {
      walk_failure_ = failed;
      return false;
    }
    sort_unique(found);
    sort_unique(inside);
    for (const auto& a : found) servers_.push_back({a, 53});
    std::string how;
    for (const auto& w : walked) how += (how.empty() ? "" : "; ") + w;
    p_.notes.push_back(fmt::format("external DNS found through the public delegation walked from the root servers of "
                                   "{} ({} questions): {}",
                                   o_.root_hints, walker.queries(), how));
    if (!failures.empty())
      p_.notes.push_back("the public delegation could not be walked for " + failed);
    if (found.empty())
      external_unknown_ = fmt::format(
          "the zone's public delegation leads to internal addresses only ({}) from here, which is not the hairpin path",
          join(inside));
    return true;
  }

  // The zone's NS records as the resolver gives them, kept only when public.
  void find_external_by_resolver() {
    std::set<std::string> zones;
    for (const auto& [n, z] : zone_of_)
      if (!z.empty()) zones.insert(z);
    std::vector<probes::probe_request> ns_reqs;
    for (const auto& z : zones) ns_reqs.push_back(question(z, type_ns, "udp", "resolver", *vp_.resolver, true));
    std::set<std::string> targets;
    for (const auto& r : ns_reqs.empty() ? std::vector<probes::probe_result>{} : send_(ns_reqs))
      if (r.dns)
        for (const auto& rr : r.dns->answer) {
          auto w = split_words(rr);
          if (w.size() == 3 && w[1] == "NS") targets.insert(w[2]);
        }
    std::vector<probes::probe_request> a_reqs;
    for (const auto& t : targets) a_reqs.push_back(question(t, type_a, "udp", "resolver", *vp_.resolver, true));
    std::vector<ip_address> found, inside;
    for (const auto& r : a_reqs.empty() ? std::vector<probes::probe_result>{} : send_(a_reqs))
      if (r.dns)
        for (const auto& a : answer_addresses(r.dns->answer)) (is_public_address(a, vp_.lan) ? found : inside).push_back(a);
    sort_unique(found);
    sort_unique(inside);
    for (const auto& a : found) servers_.push_back({a, 53});
    if (!found.empty())
      p_.notes.push_back(fmt::format("external DNS found through the zone's NS records: {} (give the public one with "
                                     "--external-dns if this is not it)",
                                     join(found)));
    if (!inside.empty())
      external_unknown_ = fmt::format(
          "the zone's name servers resolve to internal addresses only ({}) from here, which is not the hairpin path",
          join(inside));
  }

  // Round 2: the external answers, through the hairpin, over UDP and TCP.
  void ask_external() {
    if (servers_.empty()) {
      std::string why = !external_unknown_.empty() ? external_unknown_
                        : vp_.resolver      ? std::string("no public name server found for the zone")
                                            : std::string("no resolver to find the zone's name servers with");
      if (external_unknown_.empty() && !walk_failure_.empty())
        why = fmt::format("the public delegation could not be walked from the root servers ({}), and {}", walk_failure_, why);
      if (want_dns_)
        for (const auto& n : names_)
          p_.findings.push_back(not_checked(display_name(n),
                                            "DNS through the hairpin not checked: " + why,
                                            "give the DNS server on the public address with --external-dns ADDR"));
      return;
    }
    std::vector<probes::probe_request> reqs;
    std::vector<bool> judged;
    for (const auto& n : names_)
      for (const auto& s : servers_)
        for (auto t : qtypes_)
          for (const char* transport : {"udp", "tcp"}) {
            bool asked = want_dns_ && want_transport(transport);
            // Without DNS among the services the external answer is still needed, once, for the addresses.
            if (!asked && std::string(transport) != "udp") continue;
            reqs.push_back(question(n, t, transport, "hairpin", s, false));
            judged.push_back(asked);
          }
    auto res = send_(reqs);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      record(external_[reqs[i].qname], res[i]);
      if (judged[i]) add_done(reqs[i], std::move(res[i]), zone_of_[reqs[i].qname]);
    }
  }

  // The internal and the external answer of every name, side by side.
  void compare_sides() {
    for (const auto& n : names_) {
      side& in = internal_[n];
      side& ex = external_[n];
      sort_unique(in.addresses);
      sort_unique(ex.addresses);
      if (!in.asked || !ex.asked || in.addresses == ex.addresses) continue;
      finding f;
      f.name = display_name(n);
      f.evidence = fmt::format("resolver: {}; external DNS: {}", join(in.addresses), join(ex.addresses));
      if (in.addresses.empty()) {
        f.kind = finding_kind::extra_only;
        f.fix = "publish the name in the internal view too (with its internal address, or the public one)";
      } else if (ex.addresses.empty()) {
        f.kind = finding_kind::intra_only;
      } else {
        f.kind = finding_kind::split;
      }
      f.sev = default_severity(f.kind);
      p_.findings.push_back(std::move(f));
    }
  }

  // The services, on the public address (hairpin) and on the internal one (direct).
  void plan_services() {
    std::vector<std::string> services;
    for (const auto& s : o_.services)
      if (s.rfind("dns", 0) != 0) services.push_back(s);
    if (o_.services.empty()) services = {"https"};
    for (const auto& n : names_) {
      const side& in = internal_[n];
      const side& ex = external_[n];
      if (in.asked && in.addresses.empty() && (!ex.asked || ex.addresses.empty())) continue;  // no-such-name said it
      std::vector<ip_address> publics;
      for (const auto& a : ex.addresses)
        if (family_wanted(a)) publics.push_back(a);
      if (publics.empty())
        for (const auto& a : in.addresses)
          if (family_wanted(a) && is_public_address(a, vp_.lan)) publics.push_back(a);
      if (publics.empty()) {
        if (!services.empty())
          p_.findings.push_back(not_checked(
              display_name(n),
              fmt::format("no public address known for it ({}): the services through the hairpin were not checked",
                          !external_unknown_.empty() ? external_unknown_ : "the resolver gives " + join(in.addresses)),
              "give the DNS server on the public address with --external-dns ADDR"));
        continue;
      }
      for (const auto& pub : publics)
        for (const auto& s : services) {
          auto svc = service_by_name(s);
          if (!svc) continue;
          service_probe_plan h;
          h.request.name = display_name(n);
          h.request.service = s;
          h.request.path = "hairpin";
          h.request.target = {pub, svc->port};
          h.pair_key = fmt::format("{}|{}|{}", n, s, pub.str());
          p_.services.push_back(h);
          for (const auto& i : in.addresses)
            if (i != pub && i.v6 == pub.v6) {
              service_probe_plan d = h;
              d.request.path = "direct";
              d.request.target = {i, svc->port};
              p_.services.push_back(std::move(d));
              break;
            }
        }
    }
  }

  bool family_wanted(const ip_address& a) const { return a.v6 ? o_.ipv6 : o_.ipv4; }

  const std::vector<std::string>& names_;
  const run_options& o_;
  const vantage_point& vp_;
  const send_fn& send_;
  std::vector<std::uint16_t> qtypes_;
  bool want_dns_ = true;
  std::map<std::string, std::string> zone_of_;
  std::map<std::string, side> internal_, external_;
  std::vector<ip_endpoint> servers_;
  std::string external_unknown_;
  std::string walk_failure_;  // why the walk of the public delegation found no server
  plan p_;
};

bool in_prefix(const ip_address& a, const char* prefix) {
  auto p = ip_prefix::parse(prefix);
  return p && p->contains(a);
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

bool is_public_address(const ip_address& a, const std::vector<ip_prefix>& lan) {
  if (a.is_loopback()) return false;
  for (const auto& p : lan)
    if (p.contains(a)) return false;
  for (const char* p : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
                        "0.0.0.0/8", "fc00::/7", "fe80::/10", "::/128"})
    if (in_prefix(a, p)) return false;
  return true;
}

plan plan_from_answers(const std::vector<std::string>& names, const run_options& o, const vantage_point& vp,
                       const send_fn& send) {
  if (names.empty()) return {};
  return answer_planner(names, o, vp, send).run();
}

}  // namespace hc::check
