#pragma once
// What every stage of a run reports besides its own output: findings and notes, in the order the
// stage made them. The runner appends them to the run's result.

#include <string>
#include <vector>

#include "core/result.hpp"

namespace hc::check {

struct stage_report {
  std::vector<finding> findings;
  std::vector<std::string> notes;

  // Moves this report's findings and notes to the end of `r`'s.
  void move_into(run_result& r);
};

// A config-error finding (severity unknown) with its evidence and a fix for the case.
finding config_error(std::string evidence,
                     std::string fix = "correct the input at the position named in the evidence");

// A not-checked finding (severity unknown): something asked for that could not be checked, with
// the reason and what to give. Never blames a server.
finding not_checked(std::string name, std::string evidence, std::string fix);

}  // namespace hc::check
