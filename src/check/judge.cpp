#include "check/judge.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/secondaries.hpp"
#include "check/service_compare.hpp"
#include "core/dns_text.hpp"

namespace hc::check {
namespace {

// How a live observation compares with the NAT prediction for its flow.
bool prediction_says_works(nat::outcome o) {
  return o == nat::outcome::works || o == nat::outcome::snat_into_internal_view;
}

bool prediction_says_fails(nat::outcome o) {
  return o == nat::outcome::no_loopback || o == nat::outcome::dnat_wan_only || o == nat::outcome::forward_drop ||
         o == nat::outcome::not_forwarded;
}

int protocol_of(const std::string& service) { return service == "dns/udp" ? nat::proto_udp : nat::proto_tcp; }

std::string observed_text(const probes::probe_result& r) {
  if (r.failure) return std::string(name(*r.failure));
  return r.check.ok ? "works" : r.check.stage;
}

// The address record type of a service check's target.
std::string address_type(const std::string& address) {
  auto a = ip_address::parse(address);
  return a && a->v6 ? "AAAA" : "A";
}

class judge_run {
 public:
  judge_run(const plan& p, plan_results& r, const judge_inputs& in) : p_(p), r_(r), in_(in) {}

  live_result run() {
    judge_dns();
    judge_services();
    for (const auto& [key, at] : mismatch_at_) {
      finding& f = out_.findings[at];
      if (f.names.empty()) continue;
      std::sort(f.names.begin(), f.names.end());
      f.names.erase(std::unique(f.names.begin(), f.names.end()), f.names.end());
      f.name = f.names.front();
      f.count = f.names.size();
    }
    return std::move(out_);
  }

 private:
  const nat::service_prediction* prediction_for(const probes::probe_result& res) const {
    if (!in_.predictions) return nullptr;
    auto addr = ip_address::parse(res.check.address);
    if (!addr) return nullptr;
    for (const auto& pr : *in_.predictions)
      if (pr.service.public_address == *addr && pr.service.port == res.check.port &&
          pr.service.protocol == protocol_of(res.check.service))
        return &pr;
    return nullptr;
  }

  // The check line of one result, with the NAT prediction beside a hairpin observation and the
  // response-time verdict.
  void add_check(probes::probe_result& res, bool direct_ok) {
    if (res.tls && res.tls->not_after && !res.check.cert_not_after) res.check.cert_not_after = res.tls->not_after;
    if (res.http_status > 0) res.check.http_status = res.http_status;
    if (res.dns && res.dns->rcode >= 0) {
      res.check.dns_rcode = res.dns->rcode;
      res.check.dns_answer_rrs = res.dns->answer.size();
    }
    if (res.check.path == "hairpin") {
      if (const auto* pr = prediction_for(res)) {
        nat::flow f{in_.source.value_or(ip_address{}), pr->service.public_address, pr->service.protocol,
                    pr->service.port};
        res.check.detail += fmt::format("{}{}; observed: {}", res.check.detail.empty() ? "" : "; ",
                                        nat::summary(pr->prediction, f), observed_text(res));
        std::string key = res.check.address + "#" + std::to_string(res.check.port) + "/" + res.check.service;
        // One finding per flow: the names whose hairpin checks contradict the same prediction are
        // listed in it.
        if (auto m = prediction_mismatch(res, *pr, in_.source.value_or(ip_address{}), direct_ok)) {
          auto [at, fresh] = mismatch_at_.emplace(key, out_.findings.size());
          if (fresh) {
            if (!m->name.empty()) m->names.push_back(m->name);
            out_.findings.push_back(std::move(*m));
          } else if (!m->name.empty()) {
            out_.findings[at->second].names.push_back(std::move(m->name));
          }
        }
      }
    }
    if (auto s = slow_response(res.check, *in_.options)) out_.findings.push_back(std::move(*s));
    out_.checks.push_back(res.check);
  }

  void judge_dns() {
    std::vector<finding> dns_findings;
    std::set<std::pair<std::string, std::string>> stale;
    for (std::size_t i = 0; i < p_.dns.size(); ++i) {
      auto& res = r_.dns[i];
      const auto& d = p_.dns[i];
      res.check.type = rr_type_name(d.request.qtype);
      annotate_dns_check(res.check, d.expect);
      if (d.secondary) {  // judged with both views' serials below (judge_secondaries)
        add_check(res, false);
        continue;
      }
      if (res.check.stage != "skipped") {
        if (d.answers_unknown) {
          // Without zone files only the transport is judged; with the internal view's answer known
          // (Unbound overrides), an answer through the hairpin that is that data is a view-leak.
          if (res.failure || !res.check.ok) {
            for (auto& f : validate_dns(res, d.expect)) dns_findings.push_back(std::move(f));
          } else if (d.expect.other_view_answer) {
            for (auto& f : validate_dns(res, d.expect)) {
              if (f.kind != finding_kind::view_leak) continue;
              f.evidence = fmt::format("through the hairpin {} answered with view {}'s data for {} (the internal "
                                       "answer), not the public side's",
                                       res.check.address, d.expect.other_view, res.check.name);
              f.fix = "LAN clients asking the public address reach the internal resolver (the router answers DNS on "
                      "its WAN address itself, or NAT reflection sends port 53 to it): forward port 53 of the public "
                      "address to the public DNS server, or do not answer DNS on the WAN address";
              dns_findings.push_back(std::move(f));
            }
          }
        } else {
          for (auto& f : validate_dns(res, d.expect)) {
            if (f.kind == finding_kind::stale_zone) stale.insert({f.view, f.zone});
            dns_findings.push_back(std::move(f));
          }
        }
      }
      add_check(res, false);
    }
    for (auto& f : judge_secondaries(p_, r_)) dns_findings.push_back(std::move(f));
    std::size_t explained = 0;
    for (auto& f : dns_findings) {
      if (f.kind == finding_kind::wrong_answer && stale.count({f.view, f.zone})) {
        ++explained;
        continue;
      }
      out_.findings.push_back(std::move(f));
    }
    if (explained)
      out_.notes.push_back(fmt::format("{} answer(s) differ from a zone file that is not loaded yet (stale-zone): "
                                       "not reported as wrong-answer",
                                       explained));
  }

  void judge_services() {
    const run_options& o = *in_.options;
    service_compare_options so;
    so.warning_days = o.cert_warn_days;
    so.critical_days = o.cert_crit_days;
    if (!in_.lan.empty()) so.lan = in_.lan.front().str();
    using pair = std::pair<const probes::probe_result*, const probes::probe_result*>;
    std::map<std::string, pair> pairs;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < p_.services.size(); ++i) {
      auto& slot = pairs[p_.services[i].pair_key];
      if (!slot.first && !slot.second) order.push_back(p_.services[i].pair_key);
      (p_.services[i].request.path == "direct" ? slot.second : slot.first) = &r_.services[i];
    }
    for (const auto& key : order) {
      auto [h, d] = pairs[key];
      for (auto& f : compare_service(h, d, so)) out_.findings.push_back(std::move(f));
    }
    for (std::size_t i = 0; i < p_.services.size(); ++i) {
      auto& res = r_.services[i];
      res.check.type = address_type(res.check.address);
      const probes::probe_result* direct = pairs[p_.services[i].pair_key].second;
      add_check(res, direct && direct != &res && direct->check.ok);
    }
  }

  const plan& p_;
  plan_results& r_;
  const judge_inputs& in_;
  live_result out_;
  std::map<std::string, std::size_t> mismatch_at_;  // flow key -> its nat-prediction-mismatch finding
};

}  // namespace

std::optional<finding> slow_response(const check_result& check, const run_options& o) {
  if (!check.ok || (!o.warning && !o.critical)) return std::nullopt;
  severity s = severity::ok;
  if (o.critical && o.critical->alerts(check.duration_s)) s = severity::critical;
  else if (o.warning && o.warning->alerts(check.duration_s)) s = severity::warning;
  if (s == severity::ok) return std::nullopt;
  finding m;
  m.kind = finding_kind::slow_response;
  m.sev = s;
  m.name = check.name;
  m.type = check.type;
  m.service = check.service;
  m.path = check.path;
  m.address = check.address;
  m.evidence = fmt::format("{:.3f} s (warning {}, critical {})", check.duration_s,
                           o.warning ? o.warning->str() : std::string("none"),
                           o.critical ? o.critical->str() : std::string("none"));
  m.fix = "find what slows the server or the path down";
  return m;
}

std::optional<finding> prediction_mismatch(const probes::probe_result& res, const nat::service_prediction& p,
                                           const ip_address& source, bool direct_ok) {
  const bool transport = res.failure && is_transport_failure(*res.failure);
  const bool nat_failed = res.failure == finding_kind::unexpected_source || (transport && direct_ok);
  const bool mismatch = (prediction_says_works(p.prediction.result) && nat_failed) ||
                        (prediction_says_fails(p.prediction.result) && res.check.ok);
  if (!mismatch) return std::nullopt;
  nat::flow f{source, p.service.public_address, p.service.protocol, p.service.port};
  finding m;
  m.kind = finding_kind::nat_prediction_mismatch;
  m.sev = default_severity(m.kind);
  m.name = res.check.name;
  m.service = res.check.service;
  m.path = "hairpin";
  m.address = res.check.address;
  m.evidence = fmt::format("{}; observed: {}", nat::summary(p.prediction, f), observed_text(res));
  m.fix = "the rules given with --nat-rules are not what the router runs: capture them again with "
          "iptables-save or nft -j list ruleset on the router";
  return m;
}

void settle_unsimulated(std::vector<finding>& findings, const std::vector<check_result>& checks) {
  for (auto& f : findings) {
    if (f.kind != finding_kind::nat_unsimulated) continue;
    bool worked = false, failed = false;
    for (const auto& c : checks) {
      if (c.path != "hairpin" || c.address != f.address || c.service != f.service) continue;
      (c.ok ? worked : failed) = true;
    }
    if (worked && !failed) {
      f.sev = severity::info;
      f.evidence += "; the live probe through the hairpin works";
    }
  }
}

live_result judge(const plan& p, plan_results& results, const judge_inputs& in) {
  return judge_run(p, results, in).run();
}

}  // namespace hc::check
