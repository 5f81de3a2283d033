#pragma once
// Runs probes concurrently on one io_context: a bound on probes in flight, one timer per probe, one
// deadline for the whole run, and gates so that a dead server costs one timeout, not one per name.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "probes/probe.hpp"

namespace hc::check {

struct execute_options {
  probes::clock::time_point deadline;           // nothing runs past it
  std::chrono::milliseconds probe_timeout{3000};  // one probe's own bound
  unsigned concurrency = 64;
  std::string ca_file;
  bool insecure = false;
  std::optional<ip_address> source;
};

// Carries out the requests, all at once up to the bound, and returns one result per request in the
// same order. A probe that cannot finish before the deadline yields a timeout result; an exception
// escaping a probe yields stage "internal". Never throws for probe failures.
std::vector<probes::probe_result> execute(const std::vector<probes::probe_request>& requests,
                                          const execute_options& options);

// A result for a request that was not sent because `gate` (a probe of the same server) failed:
// the gate's failure kind, stage "skipped".
probes::probe_result skipped_result(const probes::probe_request& request, const probes::probe_result& gate);

}  // namespace hc::check
