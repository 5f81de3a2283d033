#pragma once
// Helpers shared by the NAT readers and the simulator; not part of the public interface.

#include <optional>
#include <string>
#include <string_view>

#include "nat/nat.hpp"

namespace hc::nat::detail {

// "tcp" → 6, "udp" → 17, "icmp" → 1, a number → itself; nullopt when unknown.
std::optional<int> protocol_number(std::string_view name);
// "tcp", "udp", "icmp", or the number.
std::string protocol_name(int proto);
// A port number or one of the few service names rule sets use ("domain", "https", ...).
std::optional<std::uint16_t> parse_port(std::string_view text);
// "a", "a:b" (iptables) or "a-b" (nft); nullopt when malformed.
std::optional<port_range> parse_port_range(std::string_view text, char sep);
// Interface name against a pattern with trailing '+' (iptables) or '*' (nft).
bool iface_matches(std::string_view pattern, std::string_view name);
// "iptables" chain label ("nat PREROUTING") or nft label ("ip nat prerouting").
std::string chain_label(const ruleset& rs, const chain& c);
// The hook and priority iptables gives a built-in chain of a table; false for user chains.
bool builtin_hook(std::string_view table, std::string_view chain_name, std::string& hook, int& priority);

}  // namespace hc::nat::detail
