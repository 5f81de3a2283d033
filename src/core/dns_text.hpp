#pragma once
// The one canonical text of a DNS record, shared by the zone reader, the view diff and the DNS probes,
// so that a record read from a zone file and the same record received on the wire compare equal.
//
// Canonical record text: "<owner> <TYPE> <rdata>", where owner is absolute, lower case, with a trailing
// dot; TYPE is the mnemonic (TYPEnnn when unknown); rdata is ldns's presentation form of each field
// joined by one space, domain-name fields absolute and lower case. No TTL, no class.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ldns.hpp"

namespace hc {

// Does a canonical name match one of the shell globs (fnmatch(3), flags 0), e.g. "*.internal.debugo.fr."?
bool name_matches_any(const std::string& name, const std::vector<std::string>& patterns);

// The canonical text of an ldns record (see above).
std::string canonical_rr(const ldns_rr* rr);

// Only the rdata part of canonical_rr.
std::string canonical_rdata(const ldns_rr* rr);

// "A", "MX", "TYPE65534".
std::string rr_type_name(std::uint16_t type);

// Lower-cases ASCII and makes a name absolute ("Blog.Debugo.FR" -> "blog.debugo.fr.").
std::string canonical_name(std::string_view name);

// A name as people write it, without the root's trailing dot: "blog.debugo.fr." -> "blog.debugo.fr".
// The root "." and relative names (no trailing dot, or an escaped one as in a\.) come back as they
// are; case is kept.
std::string display_name(std::string_view name);

}  // namespace hc
