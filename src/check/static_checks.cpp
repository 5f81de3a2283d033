#include "check/static_checks.hpp"

#include "check/dnssec_parity.hpp"
#include "zone/view_diff.hpp"

namespace hc::check {

static_result analyse_statically(const run_inputs& in, const vantage_point& vp, const plan& pl,
                                 const std::vector<std::string>& names, bool whole, const ds_lookup& live_ds) {
  static_result out;
  if (in.config) out.findings = bind::shadowed_views(*in.config);
  if (in.config && vp.has_views() && !vp.single_view) {
    zone::diff_options dopt;
    if (!whole) dopt.names = names;
    dopt.sorted = false;  // the runner sorts every finding of the run
    if (in.nat) {
      const nat::ruleset* rs = &*in.nat;
      dopt.nat = [rs](const ip_address& a) { return rs->dnat_targets(a); };
    }
    auto diff = zone::diff_views(in.zones, *in.config, *vp.internal, *vp.external, dopt);
    // The view diff can hold most of a run's findings (every split name): taken as it is, never
    // copied into a second vector of the same size.
    if (out.findings.empty()) {
      out.findings = std::move(diff);
    } else {
      for (auto& f : out.findings) diff.push_back(std::move(f));
      out.findings = std::move(diff);
    }
    for (auto& f : dnssec_parity(in.zones, *vp.internal, *vp.external, {dopt.names, live_ds})) out.findings.push_back(std::move(f));
  }
  if (in.nat) {
    nat::analysis_context actx;
    actx.vantage = vp.source;
    actx.lan = vp.lan;
    if (in.config && vp.internal) {
      const bind::config* c = &*in.config;
      const bind::view_decl* iv = vp.internal;
      actx.internal_view = [c, iv](const ip_address& a) { return bind::matches(*c, iv->match_clients, a); };
    }
    for (const auto& f : pl.nat_flows) actx.services.push_back(f.service);
    if (!actx.services.empty() || whole) {
      out.predictions = nat::predict_services(*in.nat, actx);
      for (auto& f : nat::analyse(*in.nat, actx)) out.findings.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace hc::check
