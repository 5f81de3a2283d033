#pragma once
// The reader for `nft list ruleset` text (see nft_text.cpp); read.cpp picks it by content.

#include <string>
#include <string_view>

#include "nat/nat.hpp"

namespace hc::nat {

// True when the first line that is not blank or a comment starts a table ("table inet fw {") or is
// "flush ruleset".
bool looks_like_nft_text(std::string_view text);

// Reads `nft list ruleset` (or `nft -a list ruleset`, whose handles are kept) into the model the
// JSON reader gives for `nft -j list ruleset`; rules and diagnostics name the text's lines.
ruleset parse_nft_text(std::string_view text, const std::string& file, diagnostics& diags);

}  // namespace hc::nat
