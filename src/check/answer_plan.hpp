#pragma once
// Stage 4 for names that no zone file holds (one-shot mode, --no-named-conf, or a name outside
// every zone of the configuration): the plan is made from the resolver's answers instead of the
// zone files. It asks the internal resolver (the internal answer) and the DNS server on the public
// address (the external answer: --external-dns, else the zone's public delegation walked from the
// root hints by delegation_walker, else the zone's NS records from the resolver, each fallback said
// in a note), compares the two, and plans the services on both addresses: the
// hairpin path only ever to a public address, the direct path to the internal one. What it could
// not check is a not-checked finding with the reason and what to give.

#include <optional>
#include <string>
#include <vector>

#include "check/schedule.hpp"
#include "check/vantage.hpp"

namespace hc::check {

// `names`: canonical names ("blog.debugo.fr."). `send` carries out the discovery questions; they
// come back in the plan as probes already done.
plan plan_from_answers(const std::vector<std::string>& names, const run_options& options, const vantage_point& vantage,
                       const send_fn& send);

// Address records (A/AAAA rdata) of canonical answer texts.
std::vector<ip_address> answer_addresses(const std::vector<std::string>& records);

// The zone a name belongs to, from the SOA record in an answer or authority section (its owner).
std::optional<std::string> zone_from_soa(const probes::dns_outcome& outcome);

// Can `a` be the public side of a hairpin? Not loopback, link-local, private (RFC 1918, RFC 6598,
// ULA) or inside the vantage point's LAN.
bool is_public_address(const ip_address& a, const std::vector<ip_prefix>& lan);

}  // namespace hc::check
