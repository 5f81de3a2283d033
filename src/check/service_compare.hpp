#pragma once
// Turns the service probes of one (name, service) into findings: each path's failure with a hint
// that uses the other path (direct works, hairpin times out → missing loopback SNAT), a different
// backend behind the two paths, and certificate expiry. Pure: no I/O, no clock unless now is 0.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "probes/probe.hpp"

namespace hc::check {

struct service_compare_options {
  int warning_days = 30;    // cert-expiry warning below this many days left
  int critical_days = 7;    // cert-expiry critical below this many days left
  std::int64_t now = 0;     // unix time the days are counted from; 0: the current time
  std::string lan;          // the LAN prefix for fix commands ("198.18.1.0/24"); empty: "<LAN>"
};

// Findings for one (name, service) from the probe of its hairpin path and of its direct path;
// either may be null (not probed). Failures come once per failing path, different-backend once when
// both worked but the certificate, SMTP banner host or IMAP greeting differ, cert-expiry once per
// distinct certificate.
std::vector<finding> compare_service(const probes::probe_result* hairpin, const probes::probe_result* direct,
                                     const service_compare_options& options = {});

// Findings for a probe with nothing to compare it with (the failure and the certificate expiry).
std::vector<finding> service_findings(const probes::probe_result& result, const service_compare_options& options = {});

}  // namespace hc::check
