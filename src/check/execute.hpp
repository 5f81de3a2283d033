#pragma once
// Runs probes concurrently on event loops (one io_context per thread, each with its share of the
// requests): a bound on probes in flight, one timer per probe, one deadline for the whole run.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "probes/probe.hpp"

namespace hc::check {

struct execute_options {
  probes::clock::time_point deadline;           // nothing runs past it
  std::chrono::milliseconds probe_timeout{3000};  // one probe's own bound
  unsigned concurrency = 64;    // in flight at once, over all threads
  unsigned threads = 0;         // event loops on threads of their own; 0: one per core (at most 4)
                                // when there are enough requests to share, else 1
  // DNS over TCP in flight at once per server (address and port), over all threads: BIND listens
  // with a backlog of 10 (tcp-listen-queue) and drops the SYNs of a larger burst, which then wait
  // a second for their retry and look like a slow server. 0: no bound but `concurrency`.
  unsigned dns_tcp_per_server = 8;
  std::string ca_file;
  bool insecure = false;
  std::optional<ip_address> source;
};

// Carries out the requests, all at once up to the bound, and returns one result per request in the
// same order. Each probe's deadline is computed here, once: min(start + probe_timeout, deadline).
// A probe that could not start before the run's deadline is not-checked at stage "deadline" (it
// says nothing about the server); one still running at the deadline is a timeout with the time it
// ran. An exception escaping a probe, or a service without a probe, is not-checked at stage
// "internal" ("internal error: ..."). Never throws for probe failures.
std::vector<probes::probe_result> execute(const std::vector<probes::probe_request>& requests,
                                          const execute_options& options);

// A result for a request that was not sent because `gate` (a probe of the same server) failed:
// the gate's failure kind, stage "skipped".
probes::probe_result skipped_result(const probes::probe_request& request, const probes::probe_result& gate);

// A result for a request that the plan decided not to send (a view's TSIG key is unknown, a view
// this address cannot reach): not-checked at `stage`, with the detail and the hint saying why.
probes::probe_result not_sent_result(const probes::probe_request& request, std::string stage, std::string detail,
                                     std::string hint);

}  // namespace hc::check
