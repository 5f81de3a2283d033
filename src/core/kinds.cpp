#include "core/kinds.hpp"

#include <array>
#include <ostream>

namespace hc {
namespace {

using fk = finding_kind;
using sv = severity;

constexpr std::array<kind_info, 39> table{{
    // Static: configuration, zones, NAT rules.
    {fk::config_error, "config-error", sv::unknown, false, false,
     "named.conf, a zone file or the NAT rules cannot be read; evidence has file:line:col"},
    {fk::extra_only, "extra-only", sv::warning, false, false,
     "published in the external view, absent from the internal one: inside it does not resolve"},
    {fk::intra_only, "intra-only", sv::info, false, false, "only in the internal view"},
    {fk::split, "split", sv::info, false, false,
     "A/AAAA differ between views, internal address inside the internal view's ACL, no NAT rules given"},
    {fk::split_via_nat, "split-via-nat", sv::info, false, false,
     "A/AAAA differ and the NAT rules map the external address to the internal one"},
    {fk::disagree, "disagree", sv::critical, false, false,
     "records of the same name and type differ in a way no NAT mapping explains (incl. MX, TXT, CAA, SRV)"},
    {fk::leak, "leak", sv::critical, false, false,
     "the external view publishes an address that the internal view's match-clients covers"},
    {fk::dangling_target, "dangling-target", sv::warning, false, false,
     "a CNAME/MX/SRV/NS target that does not exist in that view"},
    {fk::zone_missing, "zone-missing", sv::warning, false, false, "a zone served by one of the two views only"},
    {fk::view_shadowed, "view-shadowed", sv::critical, false, false,
     "a view can never match because an earlier view takes all its clients"},
    {fk::nat_no_loopback, "nat-no-loopback", sv::critical, false, false,
     "DNAT for the service, but no SNAT for LAN sources going back to the LAN"},
    {fk::nat_snat_into_internal_view, "nat-snat-into-internal-view", sv::critical, false, false,
     "the loopback SNAT address falls inside the internal view's match-clients (DNS will answer from the wrong "
     "view)"},
    {fk::nat_dnat_wan_only, "nat-dnat-wan-only", sv::critical, false, false,
     "the DNAT only matches packets from the WAN interface, so LAN clients reach the router itself"},
    {fk::nat_forward_drop, "nat-forward-drop", sv::critical, false, false,
     "the FORWARD chain drops the looped-back packets"},
    {fk::nat_not_forwarded, "nat-not-forwarded", sv::warning, false, false,
     "the name's external address and port have no DNAT at all"},
    {fk::nat_prediction_mismatch, "nat-prediction-mismatch", sv::warning, false, true,
     "the live result contradicts what the NAT rules predict"},
    {fk::nat_unsimulated, "nat-unsimulated", sv::warning, false, false,
     "a NAT rule that cannot be simulated touches the flow: the prediction is unknown and the verdict rests on "
     "the live probe"},
    {fk::cname_loop, "cname-loop", sv::warning, false, false,
     "a CNAME chain loops, within a view or across the views the plan follows"},
    {fk::dnssec_split, "dnssec-split", sv::critical, false, false,
     "the external view is signed and the internal one is not, or with other DNSKEYs, while the parent has a DS"},
    // Live, from the vantage point.
    {fk::unexpected_source, "unexpected-source", sv::critical, false, true,
     "a DNS reply came from another address than the one queried"},
    {fk::timeout, "timeout", sv::critical, false, true, "no answer within the probe's time"},
    {fk::refused, "refused", sv::critical, false, true, "connection refused or ICMP unreachable"},
    {fk::reset, "reset", sv::critical, false, true, "the connection was reset"},
    {fk::view_leak, "view-leak", sv::critical, false, true,
     "DNS through the hairpin answered from the internal view"},
    {fk::wrong_answer, "wrong-answer", sv::critical, false, true,
     "the served answer differs from the view's zone file"},
    {fk::stale_zone, "stale-zone", sv::warning, false, true,
     "the served SOA serial differs from the zone file's serial"},
    {fk::truncated_no_tcp, "truncated-no-tcp", sv::warning, false, true,
     "a truncated UDP answer could not be fetched over TCP"},
    {fk::tls_verify, "tls-verify", sv::critical, false, true, "certificate chain or name does not verify"},
    {fk::cert_expiry, "cert-expiry", sv::warning, true, true, "fewer days left than the certificate thresholds"},
    {fk::different_backend, "different-backend", sv::critical, false, true,
     "the hairpin path and the direct path reach different certificates, banners or greetings"},
    {fk::bad_status, "bad-status", sv::critical, false, true, "HTTP status not in the expected set"},
    {fk::bad_banner, "bad-banner", sv::critical, false, true,
     "SMTP 220 / IMAP `* OK` greeting missing or malformed"},
    {fk::no_starttls, "no-starttls", sv::critical, false, true, "SMTP without STARTTLS, or STARTTLS that fails"},
    {fk::slow_response, "slow-response", sv::warning, true, true, "a check that worked took a time (in seconds) where the -w / -c Nagios range alerts, e.g. above 5 for "
     "`-c 5`; none without -w/-c"},
    {fk::no_such_name, "no-such-name", sv::warning, false, true,
     "a name asked for is NXDOMAIN, or has neither A nor AAAA, in the view that should hold it"},
    {fk::not_checked, "not-checked", sv::unknown, false, true,
     "a check that could not be made (the vantage point cannot send, local resources, the run's deadline, an "
     "internal error, an unsupported name); never blames the server"},
    {fk::tsig_bad, "tsig-bad", sv::critical, false, true, "a reply signed with a view's key does not verify"},
    {fk::secondary_wrong_view, "secondary-wrong-view", sv::critical, false, true,
     "a secondary serves one view's data in another view"},
    {fk::secondary_stale, "secondary-stale", sv::warning, false, true,
     "a secondary's serial for a view lags the primary's"},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (static_cast<std::size_t>(table[i].kind) != i) return false;
  return static_cast<std::size_t>(fk::secondary_stale) + 1 == table.size();
}
static_assert(table_in_enum_order(), "the kind table must list every finding_kind once, in enum order");

}  // namespace

std::span<const kind_info> all_kinds() { return table; }

const kind_info& info(finding_kind k) { return table[static_cast<std::size_t>(k)]; }

std::string_view name(finding_kind k) { return info(k).name; }

severity default_severity(finding_kind k) { return info(k).sev; }

std::optional<finding_kind> kind_from_name(std::string_view n) {
  for (const auto& row : table)
    if (row.name == n) return row.kind;
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, finding_kind k) { return os << name(k); }

bool is_transport_failure(finding_kind k) {
  return k == fk::timeout || k == fk::refused || k == fk::reset || k == fk::unexpected_source;
}

}  // namespace hc
