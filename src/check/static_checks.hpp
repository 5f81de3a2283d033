#pragma once
// Stage 3 of a run: what the configuration, the zones and the NAT rules say without sending
// anything: shadowed views, the view diff, and the NAT prediction of every flow the plan sends
// through the router.

#include <string>
#include <vector>

#include "check/dnssec_parity.hpp"
#include "check/plan.hpp"
#include "check/vantage.hpp"

namespace hc::check {

struct static_result : stage_report {
  std::vector<nat::service_prediction> predictions;  // one per NAT flow of the plan (or every DNAT'd one)
  compact_findings compact;  // the view diff's split names (zone::diff_views_compact), for run_result::compact
};

// `names`: the names checked (canonical); `whole`: --all (the view diff covers every name).
static_result analyse_statically(const run_inputs& inputs, const vantage_point& vantage, const plan& plan,
                                 const std::vector<std::string>& names, bool whole, const ds_lookup& live_ds = {});

}  // namespace hc::check
