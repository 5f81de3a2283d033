// Fuzz target: the `nft list ruleset` text reader (through its translation to nft JSON), and the
// prediction on what it read. Every rule and diagnostic must name a line of the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nat/nat.hpp"
#include "nat/nft_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  hc::diagnostics diags;
  auto rules = hc::nat::parse_nft_text(text, "fuzz.nft", diags);
  for (const auto& d : diags.all())
    if (d.where.line < 1 || d.where.line > lines) std::abort();
  for (const auto& c : rules.chains)
    for (const auto& r : c.rules)
      if (r.where.line < 1 || r.where.line > lines) std::abort();
  hc::nat::analysis_context ctx;
  ctx.vantage = hc::ip_address::parse("198.18.1.99");
  (void)hc::nat::analyse(rules, ctx);
  return 0;
}
