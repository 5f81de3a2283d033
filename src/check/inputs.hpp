#pragma once
// Stage 1 of a run: the inputs. Reads the BIND configuration, the zone files of every view and the
// router's NAT rules. Bad input never throws: it becomes config-error findings.

#include <chrono>
#include <optional>

#include "bind/config.hpp"
#include "check/options.hpp"
#include "check/stage.hpp"
#include "nat/nat.hpp"
#include "zone/zone.hpp"

namespace hc::check {

struct run_inputs : stage_report {
  std::optional<bind::config> config;  // empty: none read (one-shot mode, or unreadable)
  zone::zone_set zones;
  std::optional<nat::ruleset> nat;     // empty: no --nat-rules
  std::vector<view_summary> views;     // for the report's views section
};

// With --zones-from axfr|both the transfers are bounded by `deadline` (the run's); the first form
// takes the deadline from options.timeout_s counted from now.
run_inputs load_inputs(const run_options& options);
run_inputs load_inputs(const run_options& options, std::chrono::steady_clock::time_point deadline);

}  // namespace hc::check
