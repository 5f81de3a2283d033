// Fuzz target: the iptables-save and nft JSON readers, and the prediction on what they read.
#include <cstdint>
#include <string_view>

#include "nat/nat.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  hc::diagnostics diags;
  auto rules = hc::nat::parse_nat_rules(text, "fuzz.rules", diags);
  hc::nat::analysis_context ctx;
  ctx.vantage = hc::ip_address::parse("198.18.1.99");
  (void)hc::nat::analyse(rules, ctx);
  return 0;
}
