#include "check/runner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "check/answer_plan.hpp"
#include "check/execute.hpp"
#include "check/inputs.hpp"
#include "check/judge.hpp"
#include "check/plan.hpp"
#include "check/schedule.hpp"
#include "check/static_checks.hpp"
#include "check/vantage.hpp"
#include "core/dns_text.hpp"
#include "core/keep_until_exit.hpp"
#include "core/phase_clock.hpp"
#include "core/watchdog.hpp"
#include "zone/unbound_overrides.hpp"

namespace hc::check {
namespace {

using steady = std::chrono::steady_clock;

// Zones every BIND carries for itself (RFC 6761, RFC 6303): not the site's published names.
bool is_local_name(std::string_view n) {
  auto under = [&](std::string_view z) {
    return n == z || (n.size() > z.size() && n.substr(n.size() - z.size()) == z && n[n.size() - z.size() - 1] == '.');
  };
  return under("localhost.") || under("in-addr.arpa.") || under("ip6.arpa.");
}

// The names a run checks, split by who can answer for them.
struct checked_names {
  std::vector<std::string> in_zones;  // held by a zone of the internal or the external view
  std::vector<std::string> loose;     // in no zone of the configuration: one-shot checks
  bool whole = false;                 // --all (or no name: the whole configuration, statically)
};

checked_names sort_names(const run_options& o, const run_inputs& in, const vantage_point& vp, stage_report& report) {
  checked_names out;
  for (const auto& n : o.names) {
    std::string c = canonical_name(n);
    bool held = vp.has_views() && (in.zones.best_zone(vp.internal->name, c) || in.zones.best_zone(vp.external->name, c));
    (held ? out.in_zones : out.loose).push_back(std::move(c));
  }
  out.whole = o.names.empty();
  if (!out.whole || !vp.has_views()) {
    if (o.all && !vp.has_views() && in.config)
      report.findings.push_back(not_checked("", "--all: no internal and external view to take the names from",
                                            "name the views with --internal-view and --external-view, or name the "
                                            "names to check"));
    return out;
  }
  // --static without NAT rules sends nothing and predicts nothing: the view diff needs no name list.
  if (o.static_only && !in.nat) {
    if (vp.single_view)
      report.findings.push_back(not_checked(
          "", "--static without NAT rules on a configuration without split-horizon views: nothing to compare",
          "give the router's rules with --nat-rules, or run without --static to check the names live"));
    return out;
  }
  out.in_zones = all_names(in.zones, *vp.internal, *vp.external);
  if (vp.single_view) std::erase_if(out.in_zones, [](const std::string& n) { return is_local_name(n); });
  std::erase_if(out.in_zones, [&](const std::string& n) { return name_matches_any(n, o.exclude); });
  if (o.all && out.in_zones.empty())
    report.findings.push_back(not_checked("", fmt::format("--all: the zones of view{} {} hold no name to check",
                                                          vp.single_view ? "" : "s",
                                                          vp.single_view ? vp.internal->name
                                                                         : vp.internal->name + " and " + vp.external->name),
                                          "name the names to check, or give the configuration that serves them (-C)"));
  return out;
}

// A name asked for that neither view holds an address for.
void no_such_names(const run_options& o, const run_inputs& in, const vantage_point& vp, const checked_names& names,
                   stage_report& report) {
  if (names.whole || !vp.has_views()) return;
  for (const auto& n : names.in_zones) {
    if (!addresses_of(in.zones, vp.internal->name, n).empty() || !addresses_of(in.zones, vp.external->name, n).empty())
      continue;
    const zone::zone_data* z = in.zones.best_zone(vp.internal->name, n);
    if (!z) z = in.zones.best_zone(vp.external->name, n);
    bool exists = z && z->has_name(n);
    finding f;
    f.kind = finding_kind::no_such_name;
    f.sev = default_severity(f.kind);
    f.name = display_name(n);
    f.zone = z ? display_name(z->origin()) : std::string();
    f.view = vp.single_view ? vp.internal->name : vp.internal->name + "," + vp.external->name;
    f.evidence = exists ? fmt::format("{} has neither A nor AAAA in view {}", display_name(n), f.view)
                        : fmt::format("{} does not exist in view {} (NXDOMAIN)", display_name(n), f.view);
    f.fix = "check the name, or publish it in the zone files of the views";
    report.findings.push_back(std::move(f));
  }
  (void)o;
}

// --accept KIND[:NAME]: a known, accepted finding is still reported, as info, saying what it was.
// A finding for many names (count, names) accepted for one of them: that name leaves it and is
// reported on its own as accepted; the others keep their severity.
void accept_findings(const run_options& o, std::vector<finding>& fs) {
  if (o.accept.empty()) return;
  std::vector<finding> split_off;
  for (auto& f : fs) {
    if (f.names.size() < 2) continue;
    for (const auto& a : o.accept) {
      if (a.first != name(f.kind) || a.second.empty()) continue;
      auto it = std::find_if(f.names.begin(), f.names.end(),
                             [&](const std::string& n) { return canonical_name(n) == a.second; });
      if (it == f.names.end() || f.names.size() < 2) continue;
      finding one = f;
      one.name = *it;
      one.names = {*it};
      one.count = 1;
      f.names.erase(it);
      f.count = f.names.size();
      f.name = f.names.front();
      split_off.push_back(std::move(one));
    }
  }
  for (auto& f : split_off) fs.push_back(std::move(f));
  for (auto& f : fs) {
    const std::string n = f.name.empty() ? std::string() : canonical_name(f.name);
    bool hit = std::any_of(o.accept.begin(), o.accept.end(), [&](const auto& a) {
      return a.first == name(f.kind) && (a.second.empty() || a.second == n);
    });
    if (!hit) continue;
    f.accepted = true;
    f.evidence = fmt::format("accepted with --accept (was {}): {}", to_string(f.sev), f.evidence);
    f.sev = std::min(f.sev, severity::info);
  }
}

execute_options execution_of(const run_options& o, steady::time_point deadline) {
  execute_options eo;
  eo.deadline = deadline;
  double per_probe = o.probe_timeout_s > 0 ? o.probe_timeout_s : std::clamp(o.timeout_s * 0.3, 0.2, 5.0);
  eo.probe_timeout = std::chrono::milliseconds(static_cast<long>(per_probe * 1000));
  eo.concurrency = o.concurrency;
  eo.ca_file = o.ca_file;
  eo.insecure = o.insecure;
  eo.source = o.source;
  return eo;
}

void sort_and_dedupe(std::vector<finding>& fs) {
  auto key = [](const finding& f) {
    return std::tie(f.name, f.zone, f.view, f.type, f.service, f.path, f.address, f.evidence);
  };
  sort_findings(fs, report_order);
  fs.erase(std::unique(fs.begin(), fs.end(),
                       [&](const finding& a, const finding& b) { return a.kind == b.kind && key(a) == key(b); }),
           fs.end());
}

// --exclude and --accept on the compact facts, as on findings above (they are about one name each).
void filter_compact(const run_options& o, compact_findings& c) {
  if (c.facts.empty()) return;
  const compact_renderer& r = *c.renderer;
  if (!o.exclude.empty())
    std::erase_if(c.facts, [&](const compact_finding& f) {
      const std::string_view n = r.name_of(f);
      return !n.empty() && name_matches_any(canonical_name(n), o.exclude);
    });
  for (auto& f : c.facts) {
    bool hit = std::any_of(o.accept.begin(), o.accept.end(), [&](const auto& a) {
      if (a.first != name(f.kind)) return false;
      if (a.second.empty()) return true;
      const std::string_view n = r.name_of(f);
      return !n.empty() && a.second == canonical_name(n);
    });
    if (hit) f.accepted = 1;
  }
}

// The compact facts in report order (report_order on the findings they stand for), compared without
// rendering them but for the last resort, the evidence. Unique already (one per owner, zone, type).
void sort_compact(compact_findings& c) {
  if (c.facts.size() < 2) return;
  const compact_renderer& r = *c.renderer;
  std::map<std::uint16_t, std::string> type_names;
  for (const auto& f : c.facts)
    if (!type_names.count(f.type)) type_names.emplace(f.type, f.type ? rr_type_name(f.type) : std::string());
  auto before = [&](const compact_finding& a, const compact_finding& b) {
    if (a.reported_severity() != b.reported_severity()) return a.reported_severity() > b.reported_severity();
    if (a.kind != b.kind) return name(a.kind) < name(b.kind);
    if (int n = r.name_of(a).compare(r.name_of(b)); n != 0) return n < 0;
    if (int z = r.zone_of(a).compare(r.zone_of(b)); z != 0) return z < 0;
    if (a.type != b.type) return type_names.at(a.type) < type_names.at(b.type);
    finding fa, fb;
    r.render(a, fa);
    r.render(b, fb);
    return report_order(fa, fb);
  };
  std::stable_sort(c.facts.begin(), c.facts.end(), before);
}

}  // namespace

run_result run(const run_options& o) {
  const auto started = steady::now();
  const auto deadline =
      started + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.timeout_s));
  run_result r;
  phase_clock timing;

  // 1. Inputs: configuration, zones, NAT rules. Each stage is marked for the watchdog's report.
  mark_stage("reading the inputs");
  auto inputs = std::make_unique<run_inputs>(load_inputs(o, deadline));
  run_inputs& in = *inputs;
  r.views = std::move(in.views);
  in.move_into(r);
  timing.lap("inputs");

  // 2. The vantage point and the two views.
  mark_stage("finding the vantage point");
  vantage_point vp = find_vantage(o, in);
  if (vp.source) r.vantage.source = vp.source->str();
  if (vp.internal) r.vantage.internal_view = vp.internal->name;
  if (vp.external) r.vantage.external_view = vp.external->name;
  vp.move_into(r);

  // 3. What to check, and the plan from the zone files.
  mark_stage("planning the checks");
  stage_report naming;
  checked_names names = sort_names(o, in, vp, naming);
  // Unbound overrides: the public side has no zone data, so every override name is also asked as in
  // one-shot mode (the resolver against the public delegation, then the services on both paths),
  // while the plan from the overrides checks the resolver's answers against them.
  // --all: every override name, those without zone data too (see zone/unbound_overrides.hpp).
  if (in.unbound && !o.static_only) {
    std::vector<std::string> extra = names.in_zones;
    if (names.whole)
      for (const auto& n : in.unbound_names)
        if (!name_matches_any(n, o.exclude)) extra.push_back(n);
    for (const auto& n : extra)
      if (std::find(names.loose.begin(), names.loose.end(), n) == names.loose.end()) names.loose.push_back(n);
  }
  no_such_names(o, in, vp, names, naming);
  naming.move_into(r);
  plan pl;
  if (vp.has_views() && !(o.static_only && !in.nat)) {
    plan_inputs pin;
    pin.options = &o;
    pin.config = in.config ? &*in.config : nullptr;
    pin.zones = &in.zones;
    pin.internal = vp.internal;
    pin.external = vp.external;
    pin.nat = in.nat ? &*in.nat : nullptr;
    pin.resolver = vp.resolver;
    pin.lan = vp.lan;
    pin.names = names.in_zones;
    pin.flows_only = o.static_only;
    pin.internal_signing = vp.internal_signing;
    pin.external_signing = vp.external_signing;
    pin.source = vp.source;
    pl = make_plan(pin);
  }
  timing.lap("plan");

  // 4. Static analysis: views, view diff, DNSSEC parity, NAT rules. A live run lets it ask the
  //    internal resolver for the DS of zones whose parent is not configured.
  mark_stage("comparing the views and the NAT rules");
  const execute_options eo = execution_of(o, deadline);
  const send_fn send = [&eo](const std::vector<probes::probe_request>& reqs) { return execute(reqs, eo); };
  ds_lookup live_ds;
  if (!o.static_only)
    live_ds = vp.resolver ? ds_from_resolver(*vp.resolver, send)
                          : ds_unavailable("no internal resolver is known to ask for the DS (give --resolver ADDR)");
  static_result st = analyse_statically(in, vp, pl, names.in_zones, names.whole, live_ds);
  st.move_into(r);
  r.compact = std::move(st.compact);
  timing.lap("static");

  // 5. Live: names in no zone are planned from the resolver's answers, then every probe runs and
  //    is judged the same way.
  if (!o.static_only) {
    mark_stage("probing");
    if (!names.loose.empty()) {
      plan loose = plan_from_answers(names.loose, o, vp, send);
      // Unbound overrides: the resolver's question the overrides' plan already judges against
      // them is reported once, with that expectation.
      if (in.unbound)
        std::erase_if(loose.dns, [&](const dns_probe_plan& d) {
          return d.answers_unknown && d.request.path == "resolver" &&
                 std::any_of(pl.dns.begin(), pl.dns.end(), [&](const dns_probe_plan& z) {
                   return !z.answers_unknown && z.request.path == d.request.path && z.request.qname == d.request.qname &&
                          z.request.qtype == d.request.qtype && z.request.service == d.request.service &&
                          z.request.target == d.request.target;
                 });
        });
      // The public side's answer through the hairpin that is an override's data: a view-leak.
      if (in.unbound)
        for (auto& d : loose.dns) {
          if (!d.answers_unknown || d.request.path != "hairpin") continue;
          const zone::zone_data* z = in.zones.best_zone(zone::unbound_view, d.request.qname);
          if (!z) continue;
          auto a = answer_from_zone(in.zones, zone::unbound_view, d.request.qname, d.request.qtype);
          if (!a.known || a.records.empty()) continue;
          // Only an internal address tells the views apart: the public side may hold the same public one.
          auto addrs = answer_addresses(a.records);
          if (addrs.empty() || std::any_of(addrs.begin(), addrs.end(),
                                           [&](const ip_address& x) { return is_public_address(x, vp.lan); }))
            continue;
          d.expect.other_view_answer = in_zone_records(a.records, z->origin());
          d.expect.other_view_rcode = a.rcode;
          d.expect.other_view = zone::unbound_view;
          d.expect.view = zone::public_view;
        }
      pl.append(std::move(loose));
    }
    plan_results results = run_plan(pl, send);
    mark_stage("judging the probes' results");
    judge_inputs ji;
    ji.options = &o;
    ji.predictions = &st.predictions;
    ji.source = vp.source;
    ji.lan = vp.lan;
    live_result live = judge(pl, results, ji);
    r.checks = std::move(live.checks);
    live.move_into(r);
    settle_unsimulated(r.findings, r.checks);
  } else {
    for (const auto& n : names.loose)
      r.findings.push_back(not_checked(
          display_name(n), "--static: the name is in no zone of the configuration, and nothing may be sent to ask for it",
          "run without --static, or give the configuration whose zones hold it (-C)"));
  }
  for (auto& n : pl.notes) r.notes.push_back(std::move(n));
  for (auto& f : pl.findings) r.findings.push_back(std::move(f));
  timing.lap("probes");

  mark_stage("sorting the findings");
  // --exclude: names left out of --all are left out of the view diff's findings too.
  // A finding for many names keeps those not excluded (and goes when none is left).
  if (!o.exclude.empty()) {
    for (auto& f : r.findings) {
      if (f.names.empty()) continue;
      std::erase_if(f.names, [&](const std::string& n) { return name_matches_any(canonical_name(n), o.exclude); });
      f.count = f.names.size();
      if (!f.names.empty()) f.name = f.names.front();
    }
    std::erase_if(r.findings, [&](const finding& f) {
      if (f.count > 0 || !f.names.empty()) return false;
      return !f.name.empty() && name_matches_any(canonical_name(f.name), o.exclude);
    });
  }
  accept_findings(o, r.findings);
  sort_and_dedupe(r.findings);
  filter_compact(o, r.compact);
  sort_compact(r.compact);
  timing.lap("sort");
  r.duration_s = std::chrono::duration<double>(steady::now() - started).count();
  r.finished_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (o.exit_after) keep_until_exit(std::move(inputs));
  return r;
}

}  // namespace hc::check
