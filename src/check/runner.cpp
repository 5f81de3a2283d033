#include "check/runner.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "bind/config.hpp"
#include "check/dns_validate.hpp"
#include "check/execute.hpp"
#include "check/oneshot.hpp"
#include "check/plan.hpp"
#include "check/service_compare.hpp"
#include "core/dns_text.hpp"
#include "core/phase_clock.hpp"
#include "nat/nat.hpp"
#include "probes/dns.hpp"
#include "zone/view_diff.hpp"
#include "zone/zone.hpp"

namespace hc::check {
namespace {

using steady = std::chrono::steady_clock;

finding config_error(const std::string& evidence) {
  finding f;
  f.kind = finding_kind::config_error;
  f.sev = severity::unknown;
  f.evidence = evidence;
  f.fix = "correct the input at the position named in the evidence";
  return f;
}

// The prefixes of a view's match-clients (ACLs followed) that can be a LAN: not any, not loopback.
std::vector<ip_prefix> lan_prefixes(const bind::config& cfg, const bind::view_decl& v) {
  auto ps = bind::accepted_prefixes(cfg, v.match_clients);
  std::erase_if(ps, [](const ip_prefix& p) { return p.length == 0 || p.network.is_loopback(); });
  return ps;
}

// A probe address on the LAN side of a view's match-clients, for when the vantage point is not known.
std::optional<ip_address> address_inside(const bind::config& cfg, const bind::view_decl& v) {
  for (const auto& p : lan_prefixes(cfg, v)) {
    ip_address a = p.network;
    if (p.length < a.bits()) a.bytes[a.v6 ? 15 : 3] |= 1;
    if (bind::matches(cfg, v.match_clients, a)) return a;
  }
  return std::nullopt;
}

// The LAN the vantage point sits in: the internal view's prefix that holds it, else its /24 or /64.
std::vector<ip_prefix> lan_of(const bind::config* cfg, const bind::view_decl* internal,
                              const std::optional<ip_address>& source) {
  std::vector<ip_prefix> out;
  if (cfg && internal) {
    for (const auto& p : lan_prefixes(*cfg, *internal))
      if (!source || p.contains(*source)) out.push_back(p);
  }
  if (out.empty() && source) {
    if (auto p = ip_prefix::parse(source->str() + (source->v6 ? "/64" : "/24"))) out.push_back(*p);
  }
  return out;
}

bool is_transport_failure(const std::optional<finding_kind>& kind) { return kind && hc::is_transport_failure(*kind); }

// How a live observation compares with the NAT prediction for its flow.
bool prediction_says_works(nat::outcome o) {
  return o == nat::outcome::works || o == nat::outcome::snat_into_internal_view;
}

bool prediction_says_fails(nat::outcome o) {
  return o == nat::outcome::no_loopback || o == nat::outcome::dnat_wan_only || o == nat::outcome::forward_drop ||
         o == nat::outcome::not_forwarded;
}

int protocol_of(const std::string& service) { return service == "dns/udp" ? nat::proto_udp : nat::proto_tcp; }

void sort_and_dedupe(std::vector<finding>& fs) {
  auto key = [](const finding& f) {
    return std::tie(f.kind, f.name, f.zone, f.view, f.type, f.service, f.path, f.address, f.evidence);
  };
  std::stable_sort(fs.begin(), fs.end(), [&](const finding& a, const finding& b) {
    if (a.sev != b.sev) return a.sev > b.sev;
    return key(a) < key(b);
  });
  fs.erase(std::unique(fs.begin(), fs.end(), [&](const finding& a, const finding& b) { return key(a) == key(b); }),
           fs.end());
}

}  // namespace

std::optional<ip_address> kernel_source_for(const ip_address& destination) {
  int fd = ::socket(destination.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<ip_address> out;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (destination.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(53);
    std::memcpy(&s6->sin6_addr, destination.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(53);
    std::memcpy(&s4->sin_addr, destination.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  }
  // connect() on a UDP socket only asks the routing table; nothing is sent.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
      ip_address a;
      if (local.ss_family == AF_INET6) {
        a.v6 = true;
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, 16);
      } else {
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, 4);
      }
      out = a;
    }
  }
  ::close(fd);
  return out;
}

run_result run(const run_options& o) {
  const auto started = steady::now();
  const auto deadline = started + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.timeout_s));
  run_result r;
  diagnostics diags;
  phase_clock timing;

  // 1. The BIND configuration.
  std::optional<bind::config> cfg;
  const bool conf_exists = !o.named_conf.empty() && std::filesystem::exists(o.named_conf);
  if (conf_exists || o.named_conf_given) {
    try {
      cfg = bind::read_named_conf(o.named_conf, diags);
    } catch (const input_error& e) {
      r.findings.push_back(config_error(e.what()));
    }
  } else if (o.names.empty()) {
    r.findings.push_back(config_error(fmt::format(
        "{}: no such file; --all and --static need the BIND configuration (-C PATH)",
        o.named_conf.empty() ? "--no-named-conf" : o.named_conf)));
  } else {
    r.notes.push_back(fmt::format(
        "no BIND configuration{}: the view diff, the zone-file comparisons (wrong-answer, view-leak, "
        "stale-zone) and the direct paths need one (-C PATH)",
        o.named_conf.empty() ? std::string(" (--no-named-conf)") : " at " + o.named_conf));
  }

  timing.lap("named.conf");
  // 2. The vantage point and the two views.
  std::optional<ip_endpoint> resolver = o.resolver;
  if (!resolver && !o.static_only) {
    if (auto ns = probes::read_first_nameserver(o.resolv_conf))
      resolver = ip_endpoint{*ns, 53};
  }
  std::optional<ip_address> source = o.source;
  if (!source && !o.static_only) {
    if (resolver) source = kernel_source_for(resolver->address);
    if (!source && !o.external_dns.empty()) source = kernel_source_for(o.external_dns.front().address);
  }
  if (source) r.vantage.source = source->str();

  const bind::view_decl* internal = nullptr;
  const bind::view_decl* external = nullptr;
  std::string why_no_views;
  if (cfg) {
    if (!o.internal_view.empty()) {
      internal = bind::find_view(*cfg, o.internal_view);
      if (!internal) r.findings.push_back(config_error(fmt::format("--internal-view: {} has no view named '{}'", o.named_conf, o.internal_view)));
    }
    if (!o.external_view.empty()) {
      external = bind::find_view(*cfg, o.external_view);
      if (!external) r.findings.push_back(config_error(fmt::format("--external-view: {} has no view named '{}'", o.named_conf, o.external_view)));
    }
    if ((!internal && o.internal_view.empty()) || (!external && o.external_view.empty())) {
      // By the vantage address, else by TSIG keys.
      bind::view_pair inferred = bind::infer_view_pair(*cfg, source);
      if (!inferred.internal || !inferred.external) {
        // The vantage point is unknown or outside every internal view: take the first view that
        // keeps some clients for itself, and say so.
        for (const auto& v : cfg->views) {
          auto inside = address_inside(*cfg, v);
          if (!inside) continue;
          auto pair = bind::infer_view_pair(*cfg, *inside);
          if (pair.internal == &v && pair.external) {
            if (source)
              r.notes.push_back(fmt::format(
                  "the vantage address {} is not in an internal view's match-clients; assuming view '{}' is the "
                  "internal one (--source, --internal-view)",
                  source->str(), v.name));
            inferred = pair;
            break;
          }
        }
      }
      if (!internal && o.internal_view.empty()) internal = inferred.internal;
      if (!external && o.external_view.empty()) external = inferred.external;
      for (auto& n : inferred.notes) r.notes.push_back(std::move(n));
      if (!inferred.reason.empty() && (!internal || !external)) why_no_views = inferred.reason;
    }
    if (internal) r.vantage.internal_view = internal->name;
    if (external) r.vantage.external_view = external->name;
    if ((!internal || !external) && o.internal_view.empty() && o.external_view.empty())
      r.notes.push_back("could not tell an internal and an external view apart" +
                        (why_no_views.empty() ? std::string() : " (" + why_no_views + ")") +
                        "; the view diff is not done (--internal-view, --external-view)");
  }

  // 3. The zones of every view, for the views section and the comparisons.
  zone::zone_set zones;
  if (cfg) {
    zones = zone::load_zones(*cfg, diags);
    r.views = zone::view_summaries(*cfg, zones);
  }

  timing.lap("zones");
  // 4. The router's rules.
  std::optional<nat::ruleset> rules;
  if (!o.nat_rules.empty()) rules = nat::read_nat_rules(o.nat_rules, diags);

  for (const auto& d : diags.all()) {
    if (d.is_error) r.findings.push_back(config_error(d.str()));
    else r.notes.push_back("warning: " + d.str());
  }

  // 5. What to check.
  std::vector<std::string> names;
  for (const auto& n : o.names) names.push_back(canonical_name(n));
  const bool whole = names.empty();
  // --static without NAT rules sends nothing and predicts nothing: the view diff needs no name list.
  if (whole && internal && external && !(o.static_only && !rules)) names = all_names(zones, *internal, *external);

  std::vector<ip_prefix> lan = lan_of(cfg ? &*cfg : nullptr, internal, source);
  plan_inputs pin;
  pin.options = &o;
  pin.config = cfg ? &*cfg : nullptr;
  pin.zones = &zones;
  pin.internal = internal;
  pin.external = external;
  pin.nat = rules ? &*rules : nullptr;
  pin.resolver = resolver;
  pin.lan = lan;
  pin.names = names;
  pin.flows_only = o.static_only;
  // --static without NAT rules needs no plan at all: nothing is sent and no flow is predicted.
  plan pl = (o.static_only && !rules) ? plan{} : make_plan(pin);
  for (auto& n : pl.notes) r.notes.push_back(std::move(n));

  timing.lap("plan");
  // 6. Static findings: views, view diff, NAT rules.
  if (cfg) {
    for (auto& f : bind::shadowed_views(*cfg)) r.findings.push_back(std::move(f));
  }
  if (cfg && internal && external) {
    zone::diff_options dopt;
    if (!whole) dopt.names = names;
    if (rules) {
      const nat::ruleset* rs = &*rules;
      dopt.nat = [rs](const ip_address& a) { return rs->dnat_targets(a); };
    }
    auto diff = zone::diff_views(zones, *cfg, *internal, *external, dopt);
    r.findings.reserve(r.findings.size() + diff.size());
    for (auto& f : diff) r.findings.push_back(std::move(f));
  }
  std::vector<nat::service_prediction> predictions;
  if (rules) {
    nat::analysis_context actx;
    actx.vantage = source;
    actx.lan = lan;
    if (cfg && internal) {
      const bind::config* c = &*cfg;
      const bind::view_decl* iv = internal;
      actx.internal_view = [c, iv](const ip_address& a) { return bind::matches(*c, iv->match_clients, a); };
    }
    for (const auto& f : pl.nat_flows) actx.services.push_back(f.service);
    if (!actx.services.empty() || whole) {
      predictions = nat::predict_services(*rules, actx);
      for (auto& f : nat::analyse(*rules, actx)) r.findings.push_back(std::move(f));
    }
  }

  timing.lap("static");
  // 7. Live probes.
  execute_options eo;
  if (!o.static_only) {
    eo.deadline = deadline;
    double per_probe = o.probe_timeout_s > 0 ? o.probe_timeout_s : std::clamp(o.timeout_s * 0.3, 0.2, 5.0);
    eo.probe_timeout = std::chrono::milliseconds(static_cast<long>(per_probe * 1000));
    eo.concurrency = o.concurrency;
    eo.ca_file = o.ca_file;
    eo.insecure = o.insecure;
    eo.source = o.source;
  }
  if (!o.static_only && !cfg && !o.names.empty()) {
    run_without_config(o, resolver, eo, r);
  } else if (!o.static_only) {
    // Phase 1: one question per DNS server and transport, one TCP connect per service endpoint.
    std::vector<probes::probe_request> phase1;
    std::map<std::string, std::size_t> gate_index;      // gate key → index in phase1
    std::map<std::string, std::size_t> endpoint_index;  // address#port → index in phase1
    for (const auto& d : pl.dns)
      if (d.soa_gate) {
        gate_index[d.gate_key] = phase1.size();
        phase1.push_back(d.request);
      }
    for (const auto& s : pl.services) {
      std::string key = s.request.target.str();
      if (endpoint_index.count(key)) continue;
      probes::probe_request t = s.request;
      t.service = fmt::format("tcp/{}", s.request.target.port);
      endpoint_index[key] = phase1.size();
      phase1.push_back(std::move(t));
    }
    auto r1 = execute(phase1, eo);

    // Phase 2: everything else whose server answered.
    std::vector<probes::probe_request> phase2;
    std::vector<probes::probe_result> dns_results(pl.dns.size()), service_results(pl.services.size());
    std::vector<std::pair<int, std::size_t>> slots;  // (0 dns / 1 service, index) of each phase2 request
    for (std::size_t i = 0; i < pl.dns.size(); ++i) {
      const auto& d = pl.dns[i];
      if (d.soa_gate) {
        dns_results[i] = r1[gate_index[d.gate_key]];
        continue;
      }
      if (auto g = gate_index.find(d.gate_key); g != gate_index.end() && is_transport_failure(r1[g->second].failure)) {
        dns_results[i] = skipped_result(d.request, r1[g->second]);
        continue;
      }
      slots.push_back({0, i});
      phase2.push_back(d.request);
    }
    for (std::size_t i = 0; i < pl.services.size(); ++i) {
      const auto& s = pl.services[i];
      const auto& gate = r1[endpoint_index[s.request.target.str()]];
      if (is_transport_failure(gate.failure)) {
        service_results[i] = skipped_result(s.request, gate);
        service_results[i].check.stage = "connect";
        continue;
      }
      slots.push_back({1, i});
      phase2.push_back(s.request);
    }
    auto r2 = execute(phase2, eo);
    for (std::size_t k = 0; k < slots.size(); ++k) {
      auto [kind, i] = slots[k];
      (kind == 0 ? dns_results[i] : service_results[i]) = std::move(r2[k]);
    }

    // The NAT prediction of each hairpin flow, beside what was observed.
    auto prediction_for = [&](const probes::probe_result& res) -> const nat::service_prediction* {
      auto addr = ip_address::parse(res.check.address);
      if (!addr) return nullptr;
      for (const auto& p : predictions)
        if (p.service.public_address == *addr && p.service.port == res.check.port &&
            p.service.protocol == protocol_of(res.check.service))
          return &p;
      return nullptr;
    };
    std::set<std::string> mismatch_done;
    // direct_ok: the same service answered on its internal address, so a hairpin failure is the NAT's.
    auto add_check = [&](probes::probe_result& res, bool direct_ok) {
      if (res.tls && res.tls->not_after && !res.check.cert_not_after) res.check.cert_not_after = res.tls->not_after;
      if (res.check.path == "hairpin") {
        if (const auto* p = prediction_for(res)) {
          nat::flow f{source.value_or(ip_address{}), p->service.public_address, p->service.protocol, p->service.port};
          std::string pred = nat::summary(p->prediction, f);
          std::string observed = !res.failure ? (res.check.ok ? "works" : res.check.stage) : std::string(name(*res.failure));
          res.check.detail += fmt::format("{}{}; observed: {}", res.check.detail.empty() ? "" : "; ", pred, observed);
          bool nat_failed = res.failure == finding_kind::unexpected_source || (is_transport_failure(res.failure) && direct_ok);
          bool mismatch = (prediction_says_works(p->prediction.result) && nat_failed) ||
                          (prediction_says_fails(p->prediction.result) && res.check.ok);
          std::string key = res.check.address + "#" + std::to_string(res.check.port) + "/" + res.check.service;
          if (mismatch && mismatch_done.insert(key).second) {
            finding m;
            m.kind = finding_kind::nat_prediction_mismatch;
            m.sev = severity::warning;
            m.name = res.check.name;
            m.service = res.check.service;
            m.path = "hairpin";
            m.address = res.check.address;
            m.evidence = fmt::format("{}; observed: {}", pred, observed);
            m.fix = "the rules given with --nat-rules are not what the router runs: capture them again with "
                    "iptables-save or nft -j list ruleset on the router";
            r.findings.push_back(std::move(m));
          }
        }
      }
      if (res.check.ok && (o.warning || o.critical)) {
        severity s = severity::ok;
        if (o.critical && o.critical->alerts(res.check.duration_s)) s = severity::critical;
        else if (o.warning && o.warning->alerts(res.check.duration_s)) s = severity::warning;
        if (s != severity::ok) {
          finding m;
          m.kind = finding_kind::slow_response;
          m.sev = s;
          m.name = res.check.name;
          m.service = res.check.service;
          m.path = res.check.path;
          m.address = res.check.address;
          m.evidence = fmt::format("{:.3f} s (warning {}, critical {})", res.check.duration_s,
                                   o.warning ? o.warning->str() : "none", o.critical ? o.critical->str() : "none");
          m.fix = "find what slows the server or the path down";
          r.findings.push_back(std::move(m));
        }
      }
      r.checks.push_back(res.check);
    };

    // DNS findings: a stale zone explains the answers that differ from its file.
    std::vector<finding> dns_findings;
    std::set<std::pair<std::string, std::string>> stale;
    for (std::size_t i = 0; i < pl.dns.size(); ++i) {
      auto& res = dns_results[i];
      annotate_dns_check(res.check, pl.dns[i].expect);
      if (res.check.stage != "skipped") {
        for (auto& f : validate_dns(res, pl.dns[i].expect)) {
          if (f.kind == finding_kind::stale_zone) stale.insert({f.view, f.zone});
          dns_findings.push_back(std::move(f));
        }
      }
      add_check(res, false);
    }
    std::size_t explained = 0;
    for (auto& f : dns_findings) {
      if (f.kind == finding_kind::wrong_answer && stale.count({f.view, f.zone})) {
        ++explained;
        continue;
      }
      r.findings.push_back(std::move(f));
    }
    if (explained)
      r.notes.push_back(fmt::format("{} answer(s) differ from a zone file that is not loaded yet (stale-zone): "
                                    "not reported as wrong-answer",
                                    explained));

    // Service findings: each (name, service) with its hairpin and direct probes side by side.
    service_compare_options so;
    so.warning_days = o.cert_warn_days;
    so.critical_days = o.cert_crit_days;
    if (!lan.empty()) so.lan = lan.front().str();
    std::map<std::string, std::pair<const probes::probe_result*, const probes::probe_result*>> pairs;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < pl.services.size(); ++i) {
      auto& slot = pairs[pl.services[i].pair_key];
      if (!slot.first && !slot.second) order.push_back(pl.services[i].pair_key);
      (pl.services[i].request.path == "direct" ? slot.second : slot.first) = &service_results[i];
    }
    for (const auto& key : order) {
      auto [h, d] = pairs[key];
      for (auto& f : compare_service(h, d, so)) r.findings.push_back(std::move(f));
    }
    for (std::size_t i = 0; i < pl.services.size(); ++i) {
      const probes::probe_result* direct = pairs[pl.services[i].pair_key].second;
      add_check(service_results[i], direct && direct != &service_results[i] && direct->check.ok);
    }
  }

  timing.lap("probes");
  sort_and_dedupe(r.findings);
  timing.lap("sort");
  r.duration_s = std::chrono::duration<double>(steady::now() - started).count();
  r.finished_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return r;
}

}  // namespace hc::check
