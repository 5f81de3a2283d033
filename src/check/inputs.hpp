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
  // The configuration is the synthetic one of an OPNsense config.xml's Unbound host overrides
  // (zone/unbound_overrides.hpp): view `unbound` holds the zone data, view `public` none (its
  // answers come from the public delegation).
  bool unbound = false;
  std::vector<std::string> unbound_names;  // every enabled override name, canonical: what --all checks
};

// With --zones-from axfr|both the transfers are bounded by `deadline` (the run's); the first form
// takes the deadline from options.timeout_s counted from now.
run_inputs load_inputs(const run_options& options);
run_inputs load_inputs(const run_options& options, std::chrono::steady_clock::time_point deadline);

// The fix of the config-error that diagnostic `d` becomes, fitting its case: a zone file that
// cannot be read (missing, a directory, not a regular file, permission denied: found through the
// `file` statement of cfg that d's position names), a raw zone file (named-compilezone), a
// configuration include or $INCLUDE, the NAT rules, a safety limit; "correct the input at the
// position named in the evidence" only for errors that have a line.
std::string config_error_fix(const diagnostic& d, const bind::config* cfg);

// The fix when the BIND configuration at `path` itself cannot be read (`message` says why).
std::string named_conf_fix(const std::string& path, const std::string& message);

// The fix of a permission error on `path`: the user of this run needs read access, e.g. through
// membership in the file's group (bind when the file's group is root or unknown).
std::string read_access_fix(const std::string& path);

}  // namespace hc::check
