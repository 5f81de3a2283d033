#pragma once
// The view diff: what LAN clients (the internal view) and the Internet (the external view) are told
// about the same names, and which differences are faults (docs/findings.md finding kinds
// extra-only, intra-only, split, split-via-nat, disagree, leak, dangling-target, zone-missing).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bind/config.hpp"
#include "core/ip.hpp"
#include "core/result.hpp"
#include "zone/zone.hpp"

namespace hc::zone {

// The internal addresses the router DNATs a public address to; nullopt when no NAT rules are known.
using nat_lookup = std::function<std::optional<std::vector<ip_address>>(const ip_address& external_addr)>;

struct diff_options {
  // Checked names (trailing dot optional); when set, only these names and the names their CNAME, MX
  // and SRV records lead to are reported. Unset: every name of both views.
  std::optional<std::vector<std::string>> names;
  // NAT rules; unset (or returning nullopt) means no NAT rules were given.
  nat_lookup nat;
  // Host facts for `localhost` / `localnets` in match-clients.
  bind::host_addresses host;
  // Does the internal view's match-clients take this address? Unset: bind::matches on the internal
  // view's match-clients.
  std::function<bool(const ip_address&)> internal_clients;
  // For an internal view whose match-clients name no address (selected by TSIG keys): an internal
  // address this takes counts as inside for the split/disagree decision only (not for leaks), and
  // `inside_means` says what inside means in the evidence ("on the LAN 198.18.1.0/24 or private").
  std::function<bool(const ip_address&)> split_inside;
  std::string inside_means;
  // Sort the findings (see diff_views). A caller that sorts them its own way anyway (the runner)
  // saves a sort of every finding.
  bool sorted = true;
};

// Compares the zones of the internal and external views. Findings carry zone, view(s)
// ("intra,extra" when both), name and type without trailing dots, both sides' data in the evidence
// ("intra: 198.18.1.20; extra: 203.0.113.2") and a fix naming the zone file to change. Sorted by
// zone, name, type, kind (unless opts.sorted is false). A missing CNAME/MX/SRV/NS target is one
// dangling-target per target and view, with count and every referring name (names, sorted).
std::vector<finding> diff_views(const zone_set& zones, const bind::config& cfg, const bind::view_decl& internal,
                                const bind::view_decl& external, const diff_options& opts = {});

// diff_views with the `split` findings kept as compact facts (core/result.hpp) whose renderer holds
// the zones they refer to, the other findings as diff_views makes them: a split name costs 16 bytes
// until a writer prints it. Rendered, the facts are the findings diff_views makes (same order
// once sorted the same way). Never sorted (opts.sorted is ignored).
struct compact_diff {
  std::vector<finding> findings;
  compact_findings compact;
};
compact_diff diff_views_compact(const zone_set& zones, const bind::config& cfg, const bind::view_decl& internal,
                                const bind::view_decl& external, const diff_options& opts = {});

// TXT/SPF rdata with the character-strings joined ("\"v=spf1 \" \"mx -all\"" → "v=spf1 mx -all"):
// how SPF, DKIM and DMARC readers see it.
std::string joined_txt(std::string_view rdata);

}  // namespace hc::zone
