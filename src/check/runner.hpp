#pragma once
// One whole run, as named stages in the order the data flows, each in its own file with a typed
// input and output:
//   inputs (inputs.hpp) → vantage point and views (vantage.hpp) → plan from the zone files
//   (plan.hpp) → static analysis (static_checks.hpp) → plan from the resolver's answers for names
//   in no zone (answer_plan.hpp) → execution in gated rounds (schedule.hpp, execute.hpp) → live
//   findings (judge.hpp) → one run_result. Every mode (named.conf, --no-named-conf, --static) is
// the same sequence with a different plan.

#include <optional>

#include "check/options.hpp"
#include "core/result.hpp"

namespace hc::check {

// Carries out a run. Bad input never throws: it becomes config-error findings (status UNKNOWN)
// next to whatever could still be checked.
run_result run(const run_options& options);

}  // namespace hc::check
