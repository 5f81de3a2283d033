#pragma once
// The reader for MikroTik RouterOS exports (`/export`, `/ip firewall nat export`, .rsc), and the
// fixes in RouterOS commands. See mikrotik.cpp and docs/routers/mikrotik.md.

#include <string>
#include <string_view>

#include "nat/nat.hpp"

namespace hc::nat {

// True when a line (among the first ones, comments aside) starts with "/ip firewall" or "/ipv6
// firewall" ("/ip/firewall" in RouterOS 7) or a leading comment says "by RouterOS".
bool looks_like_routeros(std::string_view text);

// Reads an export into the chains RouterOS runs: ip nat dstnat (prerouting), ip filter forward, ip
// nat srcnat (postrouting) and the user chains they jump to. `/ip firewall address-list` entries,
// `/ip address` (the router's own addresses) and `/interface list member` resolve the list and
// interface matches; a match or action the simulator does not model makes the rule's match unknown
// (nat-unsimulated), never "matches everything". Disabled rules are left out. Every rule's `text`
// is its `add` command, and `handle` its number in RouterOS's `print` of its table plus one.
// IPv6 the same from `/ipv6 firewall nat|filter|address-list` and `/ipv6 address` into ip6 chains
// (RouterOS 7's IPv6 NAT: dst-nat and src-nat with to-address=, masquerade; netmap is not simulated).
ruleset parse_routeros(std::string_view text, const std::string& file, diagnostics& diags);

// The fix for a failed prediction on RouterOS rules, as RouterOS commands (place-before the rule
// that decided); `fallback` when there is none to give.
std::string routeros_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback);

}  // namespace hc::nat
