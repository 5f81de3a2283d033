#pragma once
// Stage 2 of a run: the vantage point. Where the checks are sent from (the source address, the
// internal resolver, the LAN around it) and which two views of the configuration answer the inside
// and the outside.

#include <optional>
#include <string>
#include <vector>

#include "check/inputs.hpp"

namespace hc::check {

struct vantage_point : stage_report {
  std::optional<ip_endpoint> resolver;
  std::optional<ip_address> source;
  const bind::view_decl* internal = nullptr;
  const bind::view_decl* external = nullptr;
  // One view serves both sides (a configuration without views): not split-horizon, the names are
  // still checked through the hairpin against that view.
  bool single_view = false;
  std::vector<ip_prefix> lan;  // the vantage point's LAN, for fixes

  bool has_views() const { return internal && external; }
};

vantage_point find_vantage(const run_options& options, const run_inputs& inputs);

// The source address the kernel would use to reach `destination` (a UDP socket connected, no packet
// sent), or nullopt when there is no route.
std::optional<ip_address> kernel_source_for(const ip_address& destination);

}  // namespace hc::check
