#pragma once
// The router's NAT and filter rules (from `iptables-save` or `nft -j list ruleset`), and what they do
// to a packet from the internal vantage point sent to a public (hairpin) address.
//
// Reading is pure over text; prediction walks the netfilter hooks for one flow: nat PREROUTING
// (DNAT), routing by the router's interfaces, filter FORWARD (conntrack NEW + DNAT), nat POSTROUTING
// (SNAT/MASQUERADE), then the reply path. Matches that are not understood make the prediction
// `unknown`, never a wrong certainty.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/ip.hpp"
#include "core/prefix_lookup.hpp"
#include "core/result.hpp"

namespace hc::nat {

struct ruleset_index;

// The syntax the rules were written in; fixes are given in the same syntax.
// openwrt: UCI /etc/config/firewall (fw4); routeros: a MikroTik RouterOS export (.rsc)
// pfsense: a pfSense or OPNsense config.xml backup (src/nat/pfsense.hpp)
enum class rule_syntax { iptables, nft, openwrt, routeros, pfsense };

// IP protocol numbers used by the simulator.
inline constexpr int proto_icmp = 1;
inline constexpr int proto_tcp = 6;
inline constexpr int proto_udp = 17;

// An inclusive port range; a single port has first == last.
struct port_range {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  bool contains(std::uint16_t p) const { return p >= first && p <= last; }
  auto operator<=>(const port_range&) const = default;
};

// Conntrack facts a rule can test: iptables --ctstate values, nft ct state and ct status.
enum ct_bit : unsigned {
  ct_new = 1u << 0,
  ct_established = 1u << 1,
  ct_related = 1u << 2,
  ct_invalid = 1u << 3,
  ct_untracked = 1u << 4,
  ct_dnat = 1u << 5,  // the connection was destination-NATed (ctstate DNAT / ct status dnat)
  ct_snat = 1u << 6,  // the connection was source-NATed (ctstate SNAT / ct status snat)
};

// Source or destination addresses: matches when the address is in any of the prefixes (inverted by !).
struct addr_match {
  std::vector<ip_prefix> any_of;
  bool negated = false;
  // The prefixes of a long list (a named set) indexed by the readers; null: any_of is scanned.
  std::shared_ptr<const prefix_lookup> lookup;

  // Is `a` in one of the prefixes (the negation not applied)?
  bool in_any(const ip_address& a) const;
};

// Interface name, with iptables' trailing '+' or nft's trailing '*' as wildcard.
struct iface_match {
  std::string pattern;
  bool negated = false;
};

struct port_match {
  std::vector<port_range> any_of;
  bool negated = false;
};

// Matches when the connection has any of the bits (inverted by !).
struct ct_match {
  unsigned any_of = 0;
  bool negated = false;
};

// Everything a rule tests; all present parts must hold (logical AND).
struct match_set {
  std::optional<addr_match> saddr, daddr;
  std::optional<iface_match> iif, oif;
  std::vector<int> protocols;  // IP protocol numbers, any of; empty: every protocol
  bool protocol_negated = false;
  std::optional<port_match> sport, dport;
  std::vector<ct_match> ct;
  std::optional<bool> dst_local;  // addrtype --dst-type LOCAL / fib daddr type local (false: negated)
  std::optional<int> family;      // 4 or 6 when the rule only applies to one family (nft inet)
  std::vector<std::string> unknown;  // matches not understood: the rule may or may not match
};

// What a rule does when it matches.
enum class action { none, accept, drop, reject, ret, jump, go, dnat, snat, masquerade, redirect, unknown };

// The address and ports of DNAT/SNAT/REDIRECT/MASQUERADE.
struct nat_target {
  std::optional<ip_address> addr;
  std::optional<ip_address> addr_last;  // end of an address range
  std::optional<port_range> ports;
};

struct rule {
  match_set match;
  action act = action::none;
  std::string target;  // jump/goto chain; for action::unknown the target's name
  nat_target to;
  source_location where;
  std::string text;  // the rule as written (iptables) or rendered in nft syntax
  std::uint64_t handle = 0;  // nft rule handle, 0 for iptables
};

// A chain; base chains have a hook. For iptables the built-in chains get hook and priority of their
// table (nat PREROUTING: prerouting -100, filter FORWARD: forward 0, nat POSTROUTING: postrouting 100).
struct chain {
  std::string family = "ip";  // ip, ip6, inet (nft); iptables-save chains are "ip"
  std::string table;          // nat, filter, ...
  std::string name;
  std::string type;  // nat, filter, route (nft base chains; iptables: the table name)
  std::string hook;  // prerouting, input, forward, output, postrouting; empty for user chains
  int priority = 0;
  bool policy_drop = false;
  std::vector<rule> rules;
  source_location where;
};

// A whole rule set as read from one file.
struct ruleset {
  rule_syntax syntax = rule_syntax::iptables;
  std::string file;
  std::vector<chain> chains;
  std::size_t errors = 0;  // error diagnostics while reading: predictions are then unknown
  // Chains by name and DNAT rules by destination, built by the readers (reindex()) so that find() and
  // dnat_targets() take constant time per call; without it (a rule set built by hand) they scan.
  std::shared_ptr<const ruleset_index> index;

  const chain* find(std::string_view family, std::string_view table, std::string_view name) const;
  // Every internal address some DNAT rule maps public_addr to; nullopt when a DNAT rule that might
  // apply cannot be understood. Rules are weighed by their destination and family tests (the others
  // are taken as holding), in the chains of the nat prerouting hook and the chains their jumps reach
  // when the jump's own destination and family tests may hold for public_addr.
  std::optional<std::vector<ip_address>> dnat_targets(const ip_address& public_addr) const;
  // Rebuilds `index` (and the look-ups of long address lists); call it after changing chains or rules.
  void reindex();
};

// The forms --nat-format names: auto (told apart by content, the default) or one reader.
enum class nat_format { auto_detect, iptables, nft_json, nft_text, openwrt, routeros, pfsense };
// "auto", "iptables", "nft-json", "nft-text", "openwrt", "routeros", "pfsense"; nullopt for anything else.
std::optional<nat_format> parse_nat_format(std::string_view name);
const char* to_string(nat_format f);
// The form the content reads as (never auto_detect): what parse_nat_rules uses without forcing.
nat_format detect_nat_format(std::string_view text);

// Reads `iptables-save` text, `nft -j list ruleset` JSON, `nft list ruleset` text, OpenWrt UCI or a
// RouterOS export, told apart by content (detect_nat_format). With a forced format other than
// auto_detect, content that reads as another form is an error at file:1:1 naming the form detected
// (nothing is read).
ruleset parse_nat_rules(std::string_view text, const std::string& file, diagnostics& diags,
                        nat_format forced = nat_format::auto_detect);
// Reads the file ('-' = stdin) and parses it; an unreadable file is an error diagnostic.
ruleset read_nat_rules(const std::string& path_or_dash, diagnostics& diags, nat_format forced = nat_format::auto_detect);

// The parsers behind parse_nat_rules.
ruleset parse_iptables_save(std::string_view text, const std::string& file, diagnostics& diags);
ruleset parse_nft_json(std::string_view text, const std::string& file, diagnostics& diags);

// Every internal address some DNAT rule maps public_addr to (see ruleset::dnat_targets).
std::optional<std::vector<ip_address>> dnat_targets(const ruleset& rules, const ip_address& public_addr);

// One DNAT'd service: (public address, protocol, port) → (internal address, port).
struct published_service {
  ip_address public_address;
  int protocol = proto_tcp;         // 0 when the rule takes every protocol
  std::uint16_t port = 0;           // 0 when the rule takes every port
  std::uint16_t port_last = 0;      // end of a port range (== port for one port)
  ip_address internal_address;
  std::uint16_t internal_port = 0;  // the port after DNAT, the same for every port of a range (no offset)
  std::string iif;                  // the DNAT rule's inbound interface pattern, "!" kept
  source_location where;
  std::string rule_text;
};

// Every DNAT rule with a fixed destination address, one entry per listed port (ranges stay ranges).
std::vector<published_service> published(const ruleset& rules);

// One of the router's interfaces and the networks attached to it.
struct router_interface {
  std::string name;
  std::vector<ip_prefix> networks;
  std::vector<ip_address> addresses;  // the router's own addresses on it, when known
  bool default_route = false;         // where packets for other networks go
};

// One flow to predict: from the vantage point to a (public) address.
struct flow {
  ip_address source;
  ip_address destination;
  int protocol = proto_tcp;
  std::uint16_t port = 0;
};

// A service to check: a public address, protocol and port, and the name it serves.
struct service_check {
  ip_address public_address;
  int protocol = proto_tcp;
  std::uint16_t port = 0;
  std::string name;                          // the DNS name, for the finding
  std::optional<ip_address> internal_address;  // from the internal view, used in fixes when no DNAT exists
};

// What the prediction needs beyond the rules.
struct analysis_context {
  std::optional<ip_address> vantage;     // the vantage point's address; default: a host of the LAN
  std::vector<ip_prefix> lan;            // the LAN prefix(es); default: inferred from the rules
  std::vector<router_interface> interfaces;  // default: inferred from the rules and `lan`
  std::function<bool(const ip_address&)> internal_view;  // does the internal view take this client?
  std::vector<service_check> services;   // empty: every DNAT'd service
};

enum class outcome { works, no_loopback, snat_into_internal_view, dnat_wan_only, forward_drop, not_forwarded, unknown };

// "works", "no-loopback", ... ; the finding kind is "nat-" + this for the failures.
const char* to_string(outcome o);

// The finding kind of a failed or unknown prediction (nat-no-loopback, ..., nat-unsimulated for unknown).
finding_kind kind_of(outcome o);

// A rule that took part in the decision.
struct rule_ref {
  source_location where;
  std::string chain;  // "nat PREROUTING", "ip nat prerouting"
  std::string text;   // the rule text, or "policy DROP" for a chain policy
  std::string str() const;  // "file:line: text"
};

struct flow_prediction {
  outcome result = outcome::unknown;
  std::optional<ip_address> dnat_to;     // the internal address after DNAT
  std::uint16_t dnat_port = 0;           // the port after DNAT
  std::optional<ip_address> seen_source;  // the source address the server sees
  std::string seen_source_text;          // e.g. "198.18.1.1 (router's lan0 address)"
  std::string in_iface, out_iface;
  std::vector<rule_ref> rules;           // DNAT, FORWARD and SNAT decisions, in path order
  std::optional<rule_ref> decided_by;    // the rule (or policy) that decided a failure
  std::string reason;                    // why, in one sentence
  std::string fix;                       // a rule to add or change, in the input's syntax
};

// Predicts what happens to one flow.
flow_prediction predict(const ruleset& rules, const flow& f, const analysis_context& ctx);

// Predicts every service of ctx.services (or every DNAT'd one) and returns the failures as findings
// (kinds nat-no-loopback, nat-snat-into-internal-view, nat-dnat-wan-only, nat-forward-drop,
// nat-not-forwarded), and nat-unsimulated for a prediction that a rule the simulator does not model
// made unknown (the rule named in the evidence).
std::vector<finding> analyse(const ruleset& rules, const analysis_context& ctx);

// The services analyse() checks, each with its prediction.
struct service_prediction {
  service_check service;
  flow_prediction prediction;
};
std::vector<service_prediction> predict_services(const ruleset& rules, const analysis_context& ctx);

// "dns/udp", "dns/tcp", "https", "http", "smtp", "imaps", else "tcp/PORT" or "udp/PORT".
std::string service_name(int protocol, std::uint16_t port);

// One line for live mode: "predicted: no loopback SNAT for udp/53".
std::string summary(const flow_prediction& p, const flow& f);

// The interfaces analyse() uses when ctx.interfaces is empty.
std::vector<router_interface> infer_interfaces(const ruleset& rules, const analysis_context& ctx);

}  // namespace hc::nat
