#pragma once
// Stage 6 of a run: live findings. Turns the results of a plan into check lines and findings:
// DNS answers against the zone files (a stale zone explains the answers that differ from its file:
// they are not also wrong-answer), each service's hairpin and direct paths side by side, the NAT
// prediction beside what was observed (nat-prediction-mismatch), and the -w/-c response-time
// ranges (slow-response). Pure: no I/O.

#include <optional>
#include <vector>

#include "check/schedule.hpp"
#include "check/stage.hpp"
#include "nat/nat.hpp"

namespace hc::check {

struct judge_inputs {
  const run_options* options = nullptr;
  const std::vector<nat::service_prediction>* predictions = nullptr;  // may be null: no NAT rules
  std::optional<ip_address> source;
  std::vector<ip_prefix> lan;
};

struct live_result : stage_report {
  std::vector<check_result> checks;
};

live_result judge(const plan& p, plan_results& results, const judge_inputs& in);

// slow-response for a check that worked, when the -w/-c ranges alert on its duration; else nullopt.
std::optional<finding> slow_response(const check_result& check, const run_options& options);

// nat-prediction-mismatch when a hairpin observation contradicts the prediction of its flow.
// `direct_ok`: the same service answered on its internal address, so a hairpin failure is the NAT's.
std::optional<finding> prediction_mismatch(const probes::probe_result& observed, const nat::service_prediction& p,
                                           const ip_address& source, bool direct_ok);

// A flow whose NAT prediction is unknown (nat-unsimulated) rests on the live probe alone: when the
// hairpin check of that address and service worked, the finding is only info (said in its
// evidence); when it failed, or was not probed, it stays as it is.
void settle_unsimulated(std::vector<finding>& findings, const std::vector<check_result>& checks);

}  // namespace hc::check
