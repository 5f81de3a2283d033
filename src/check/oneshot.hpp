#pragma once
// One-shot checks without the BIND configuration: the internal answer from the resolver, the external
// one from the DNS server on the public address (given, or found through the zone's NS records), then
// the service probes on both answers. Says which checks it could not do without the zone files.

#include <optional>
#include <string>
#include <vector>

#include "check/execute.hpp"
#include "check/options.hpp"
#include "core/result.hpp"
#include "probes/probe.hpp"

namespace hc::check {

// Adds the checks, findings and notes of a run without named.conf to `result`.
void run_without_config(const run_options& options, const std::optional<ip_endpoint>& resolver,
                        const execute_options& exec, run_result& result);

// Address records (A/AAAA rdata) of canonical answer texts.
std::vector<ip_address> answer_addresses(const std::vector<std::string>& records);

// The zone a name belongs to, from the SOA record in an answer or authority section (its owner).
std::optional<std::string> zone_from_soa(const probes::dns_outcome& outcome);

}  // namespace hc::check
