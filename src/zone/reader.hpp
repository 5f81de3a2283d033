#pragma once
// The two zone file readers (internal to the zone layer): both turn an expanded zone_source into
// canonical records in a zone_builder and report errors with file:line:col.

#include <string_view>

#include "core/diagnostics.hpp"
#include "zone/source.hpp"
#include "zone/zone.hpp"

namespace hc::zone::detail {

// Own tokenizer and formatter for the common records (A, AAAA, NS, CNAME, PTR, DNAME, MX, SRV,
// TXT, SPF with plain names and strings); every other record goes through ldns, one by one.
void read_fast(const zone_source& src, std::string_view origin, zone_builder& out, diagnostics& diags);

// Every record through ldns_rr_new_frm_fp_l: the reference the fast reader is tested against.
void read_ldns(const zone_source& src, std::string_view origin, zone_builder& out, diagnostics& diags);

}  // namespace hc::zone::detail
