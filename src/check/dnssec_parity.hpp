#pragma once
// DNSSEC parity between the views (docs/findings.md, kind dnssec-split). A zone that both the
// internal and the external view serve, signed in one view (DNSKEY RRset at the apex) and unsigned
// or signed with other DNSKEYs in the other, fails validation for the clients of a view whose
// DNSKEYs no DS of the parent names: validating resolvers answer SERVFAIL (bogus) for every name
// of the zone. Whether the parent holds a DS decides:
//   - the parent zone is in the configuration (the internal view's, else the external view's): its
//     DS RRset at the zone's name is read from its file;
//   - else a live run asks the internal resolver for the DS (ds_from_resolver); --static asks nothing.
// DS known, matching (ldns_key_rr2ds, the DS's digest type) a DNSKEY of each signed view: nothing.
// DS known, some view without a DNSKEY it matches: critical, naming the view(s) that fail.
// No DS at the parent: info (the zone is insecure; adding the DS would break a view).
// DS unknown (--static without the parent, no resolver, no usable answer): warning saying the DS
// could not be checked and why, never dropped. Both views unsigned, or signed with the same
// DNSKEY set: nothing.
//
// A view's keys are the DNSKEY RRset at the apex of its zone file; when the file has none but named's
// signed copy FILE.signed exists (inline-signing, dnssec-policy), of that copy. A copy that cannot be
// read as text (raw format) makes the view signed with unknown keys: a DS then decides only for the
// other view, and a warning says what could not be compared.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bind/config.hpp"
#include "check/schedule.hpp"
#include "core/ip.hpp"
#include "core/result.hpp"
#include "probes/probe.hpp"
#include "zone/zone.hpp"

namespace hc::check {

// What is known of the DS RRset the parent holds for a zone.
struct parent_ds {
  bool known = false;
  std::vector<std::string> records;  // DS rdata texts ("22226 13 2 5DCC..."); empty: no DS
  std::string source;                // where it was read ("zone example of view intra", "resolver 192.0.2.1#53")
  std::string reason;                // !known: why it could not be checked
};

// Asks the parents' DS of zones (canonical names) live: one answer per zone, in the same order.
using ds_lookup = std::function<std::vector<parent_ds>(const std::vector<std::string>& zones)>;

struct parity_options {
  // Checked names (canonical); when set, only the zones that hold one of them are looked at.
  // Unset: every zone both views serve (--all, or no name).
  std::optional<std::vector<std::string>> names;
  // When set, asked once, for every zone whose views differ in DNSSEC and whose parent zone is not
  // in the configuration (or did not load). Unset (--static): those DS are "could not be checked".
  ds_lookup live;
};

// dnssec-split findings for the zones both views serve with authority (primary, secondary, mirror,
// in-view; not hint, stub or forward zones), sorted by zone.
std::vector<finding> dnssec_parity(const zone::zone_set& zones, const bind::view_decl& internal,
                                   const bind::view_decl& external, const parity_options& opts = {});

// The live lookup of a run: one recursive DS question (UDP) per zone to the internal resolver,
// all sent in one call of `send`.
ds_lookup ds_from_resolver(const ip_endpoint& resolver, const send_fn& send);

// A live lookup that cannot ask (no resolver known): every DS unknown, for `reason`.
ds_lookup ds_unavailable(std::string reason);

// The parent's DS for `zone` (canonical) as a resolver's answer to a DS question shows it. Known
// when the answer holds the DS RRset, or is NXDOMAIN, or NODATA with the SOA of a zone above
// `zone` (no DS); unknown on a transport failure, SERVFAIL or another rcode, or NODATA with the
// zone's own SOA (the zone answered, not its parent).
parent_ds ds_from_answer(const std::string& zone, const probes::probe_result& answer, const std::string& source);

}  // namespace hc::check
