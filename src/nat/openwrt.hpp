#pragma once
// The reader for OpenWrt's UCI firewall configuration (/etc/config/firewall, fw4), optionally
// followed by /etc/config/network for the zones' devices and addresses, and the fixes in uci
// commands. See openwrt.cpp and docs/routers/openwrt.md.

#include <string>
#include <string_view>

#include "nat/nat.hpp"

namespace hc::nat {

// True when the first line that is not blank or a comment is "config ..." or "package ...".
bool looks_like_uci(std::string_view text);

// Reads UCI text into the rules fw4 would generate: DNAT for every redirect and, with reflection
// (on by default), a DNAT for the reflection zones' sources and a loopback SNAT (reflection_src
// internal: the zone's router address; external: the WAN address); zone masq and `config nat` in
// srcnat; forwardings, forward `config rule`s and the zone policies in forward. Every rule's
// `target` holds its UCI section ("@redirect[0]", or the section's name) and `text` its options.
ruleset parse_openwrt(std::string_view text, const std::string& file, diagnostics& diags);

// The fix for a failed prediction on OpenWrt rules, as uci commands; on RouterOS rules, RouterOS
// commands (routeros_fix in mikrotik.hpp); `fallback` for the others (nft and iptables fixes are
// already in the rules' own syntax).
std::string router_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback);

}  // namespace hc::nat
