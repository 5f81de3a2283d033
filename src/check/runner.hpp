#pragma once
// One whole run: read the configuration, zones and NAT rules, compare the views, predict the NAT,
// probe from the vantage point, validate, and collect everything into one run_result.

#include <optional>

#include "check/options.hpp"
#include "core/result.hpp"

namespace hc::check {

// Carries out a run. Bad input never throws: it becomes config-error findings (status UNKNOWN)
// next to whatever could still be checked.
run_result run(const run_options& options);

// The source address the kernel would use to reach `destination` (a UDP socket connected, no packet
// sent), or nullopt when there is no route.
std::optional<ip_address> kernel_source_for(const ip_address& destination);

}  // namespace hc::check
