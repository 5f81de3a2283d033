#pragma once
// The one table of finding kinds: every layer names a fault by this enum, the writers print its
// stable name, docs/findings.md lists the same rows (a unit test keeps them equal). A kind that is
// not in the table cannot be written.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string_view>

namespace hc {

// Severities of findings, ordered; the run's status is the worst of them (info counts as OK).
enum class severity { ok, info, warning, critical, unknown };

enum class finding_kind : std::uint8_t {
  // Static: configuration, zones, NAT rules.
  config_error,
  extra_only,
  intra_only,
  split,
  split_via_nat,
  disagree,
  leak,
  dangling_target,
  zone_missing,
  view_shadowed,
  nat_no_loopback,
  nat_snat_into_internal_view,
  nat_dnat_wan_only,
  nat_forward_drop,
  nat_not_forwarded,
  nat_prediction_mismatch,
  nat_unsimulated,
  cname_loop,
  dnssec_split,
  // Live, from the vantage point.
  unexpected_source,
  timeout,
  refused,
  reset,
  view_leak,
  wrong_answer,
  stale_zone,
  truncated_no_tcp,
  tls_verify,
  cert_expiry,
  different_backend,
  bad_status,
  bad_banner,
  no_starttls,
  slow_response,
  no_such_name,
  not_checked,
  tsig_bad,
  secondary_wrong_view,
  secondary_stale,
};

// One row of the table.
struct kind_info {
  finding_kind kind;
  std::string_view name;     // stable name of the contract ("config-error")
  severity sev;              // default severity
  bool also_critical;        // warning/critical kinds (thresholds decide): cert-expiry, slow-response
  bool live;                 // observed from the vantage point (else static)
  std::string_view meaning;  // one line, as docs/findings.md has it
};

// Every kind, in the order of the enum.
std::span<const kind_info> all_kinds();

const kind_info& info(finding_kind k);
std::string_view name(finding_kind k);
severity default_severity(finding_kind k);
// The kind of a stable name, or nullopt.
std::optional<finding_kind> kind_from_name(std::string_view name);

// Writes the stable name (for test output and logs).
std::ostream& operator<<(std::ostream& os, finding_kind k);

// Transport failures: the server (or the path to it) never answered as a server.
bool is_transport_failure(finding_kind k);

}  // namespace hc
