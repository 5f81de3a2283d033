#pragma once
// Helpers shared by the NAT readers and the simulator; not part of the public interface.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/prefix_lookup.hpp"
#include "nat/nat.hpp"

namespace hc::nat::detail {

// "tcp" → 6, "udp" → 17, "icmp" → 1, a number → itself; nullopt when unknown.
std::optional<int> protocol_number(std::string_view name);

// The first line of `text` that is neither blank nor a `#` comment, without its leading blanks:
// what the readers look at to tell the formats apart. Empty when there is none.
std::string_view first_content_line(std::string_view text);
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

using hc::masked;
using hc::prefix_lookup;

// The key of a chain in the indexes: family, table and name.
std::string chain_key(std::string_view family, std::string_view table, std::string_view name);

// The chain each jump or goto rule goes to, resolved once: target[first[c] + r] is the number in
// rs.chains that rule r of chain c jumps to, or none (not a jump or goto, or no such chain). A jump
// names a chain of its own chain's family and table.
struct jump_targets {
  static constexpr std::uint32_t none = UINT32_MAX;
  std::vector<std::uint32_t> first;   // per chain, then one past the last: rules before it
  std::vector<std::uint32_t> target;  // per rule, chain by chain
  std::uint32_t of(std::size_t c, std::size_t r) const {
    if (c + 1 >= first.size() || r >= first[c + 1] - first[c]) return none;
    return target[first[c] + r];
  }
};
jump_targets resolve_jumps(const ruleset& rs, const std::unordered_map<std::string, std::size_t>& by_key);

// The chains of the nat prerouting hook and every chain they reach by jump or goto (each once), as
// numbers into rs.chains, base chains first in the order of the rule set.
std::vector<std::size_t> prerouting_chains(const ruleset& rs, const jump_targets& jumps);

// The public addresses of published(rs), each once, in the order they first appear there.
std::vector<ip_address> published_addresses(const ruleset& rs);

// Every chain of rs by chain_key().
std::unordered_map<std::string, std::size_t> chains_by_key(const ruleset& rs);

// rs.reindex() with the chain map a reader already built: it must equal chains_by_key(rs). The
// second form also takes the jumps the reader resolved: they must equal resolve_jumps(rs, by_key).
void reindex(ruleset& rs, std::unordered_map<std::string, std::size_t> by_key);
void reindex(ruleset& rs, std::unordered_map<std::string, std::size_t> by_key, jump_targets jumps);

// Builds the look-up of every address match with many prefixes (a named set, a long list), so that
// matching one address costs a few hash look-ups instead of a scan. The readers call it.
void index_address_matches(ruleset& rs);

}  // namespace hc::nat::detail

namespace hc::nat {

// What ruleset::reindex() builds (see ruleset::index).
struct ruleset_index {
  std::size_t chain_count = 0;  // chains.size() when built: a different count means the index is stale
  std::unordered_map<std::string, std::size_t> chains;  // detail::chain_key() -> number in chains
  detail::jump_targets jumps;                           // detail::resolve_jumps()
  // The rules of the chains the nat prerouting hook reaches that DNAT, are not understood, or jump,
  // by the destination addresses they match: dnat_targets() follows only the jumps that may apply.
  struct chain_rules {
    detail::prefix_lookup by_daddr;           // value: rule number in the chain
    std::vector<std::uint32_t> any_daddr;     // rules without a (positive) destination match, in order
  };
  std::vector<std::size_t> prerouting_bases;  // the nat prerouting base chains, in order
  std::vector<std::size_t> prerouting_reach;  // detail::prerouting_chains(), computed once
  // The rules of the chains of prerouting_reach, in its order; prerouting_at: chain number -> the
  // number in prerouting (none: no_rules). Vectors: 10^5 jump chains without a hash node each.
  static constexpr std::uint32_t no_rules = UINT32_MAX;
  std::vector<chain_rules> prerouting;
  std::vector<std::uint32_t> prerouting_at;
  const chain_rules* prerouting_of(std::size_t chain_number) const {
    if (chain_number >= prerouting_at.size() || prerouting_at[chain_number] == no_rules) return nullptr;
    return &prerouting[prerouting_at[chain_number]];
  }
};

}  // namespace hc::nat
