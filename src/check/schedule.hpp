#pragma once
// Stage 5 of a run: carries out a plan in two rounds, so that a dead server costs one timeout and
// not one per name. Round 1: one SOA question per DNS server, transport and zone (the gates) and
// one TCP connect per service endpoint, with every DNS probe that waits for no gate (the resolver,
// the internal servers asked directly). Round 2: every other probe whose gate answered; a probe
// whose gate failed at the transport is not sent and carries the gate's failure, stage "skipped".
// Probes the plan already carried out (one-shot discovery) are not sent again.

#include <functional>
#include <vector>

#include "check/plan.hpp"

namespace hc::check {

// Sends requests and returns one result per request, in order (execute() in a run; a fake in tests).
using send_fn = std::function<std::vector<probes::probe_result>(const std::vector<probes::probe_request>&)>;

struct plan_results {
  std::vector<probes::probe_result> dns;       // one per plan.dns
  std::vector<probes::probe_result> services;  // one per plan.services
};

plan_results run_plan(const plan& p, const send_fn& send);

}  // namespace hc::check
