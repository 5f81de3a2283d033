#include "check/static_checks.hpp"

#include "check/answer_plan.hpp"
#include "check/dnssec_parity.hpp"
#include "zone/view_diff.hpp"

namespace hc::check {

static_result analyse_statically(const run_inputs& in, const vantage_point& vp, const plan& pl,
                                 const std::vector<std::string>& names, bool whole, const ds_lookup& live_ds) {
  static_result out;
  if (in.config) out.findings = bind::shadowed_views(*in.config);
  // The Unbound overrides' public view holds no zone data (its answers come from the public
  // delegation, live): a view diff against it would call every override intra-only.
  if (in.config && vp.has_views() && !vp.single_view && !in.unbound) {
    zone::diff_options dopt;
    if (!whole) dopt.names = names;
    dopt.sorted = false;  // the runner sorts every finding of the run
    if (in.nat) {
      const nat::ruleset* rs = &*in.nat;
      dopt.nat = [rs](const ip_address& a) { return rs->dnat_targets(a); };
    }
    // An internal view selected by TSIG keys alone (no client address in its match-clients, ACLs
    // followed) tells nothing of where its clients are: an internal address it publishes is then
    // taken as inside when it is on the vantage point's LAN or not a public address, for the split
    // decision only. Without that, every split name would be a `disagree`.
    auto inside = bind::accepted_prefixes(*in.config, vp.internal->match_clients);
    std::erase_if(inside, [](const ip_prefix& p) { return p.length == 0 || p.network.is_loopback(); });
    if (inside.empty() && !vp.internal_signing.key_name.empty()) {
      dopt.split_inside = [lan = vp.lan](const ip_address& a) { return !is_public_address(a, lan); };
      std::string lans;
      for (const auto& p : vp.lan) lans += (lans.empty() ? "" : ", ") + p.str();
      dopt.inside_means = lans.empty() ? std::string("a private address") : "on the LAN " + lans + " or a private address";
    }
    // Split names (most names of real zones) stay compact facts until a writer prints them.
    auto compact_diff = zone::diff_views_compact(in.zones, *in.config, *vp.internal, *vp.external, dopt);
    out.compact = std::move(compact_diff.compact);
    auto diff = std::move(compact_diff.findings);
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
