// Fuzz target: the MikroTik RouterOS reader (an export, .rsc), the
// prediction on the rules it builds and the RouterOS fixes of the findings.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nat/nat.hpp"
#include "nat/mikrotik.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  hc::diagnostics diags;
  auto rules = hc::nat::parse_routeros(text, "fuzz.rsc", diags);
  for (const auto& d : diags.all())
    if (d.where.line < 1 || d.where.line > lines) std::abort();
  for (const auto& c : rules.chains)
    for (const auto& r : c.rules)
      if (r.where.line < 1 || r.where.line > lines) std::abort();
  for (const auto& d : diags.all()) rules.errors += d.is_error;
  hc::nat::analysis_context ctx;
  ctx.vantage = hc::ip_address::parse("198.18.1.99");
  ctx.lan = {*hc::ip_prefix::parse("198.18.1.0/24")};
  ctx.internal_view = [](const hc::ip_address& a) { return hc::ip_prefix::parse("198.18.1.0/24")->contains(a); };
  for (auto [proto, port] : {std::pair{hc::nat::proto_tcp, 443}, std::pair{hc::nat::proto_udp, 53}})
    ctx.services.push_back({*hc::ip_address::parse("203.0.113.1"), proto, static_cast<std::uint16_t>(port), "x", hc::ip_address::parse("198.18.1.10")});
  for (const auto& f : hc::nat::analyse(rules, ctx))
    if (f.fix.find('\n') != std::string::npos) std::abort();  // a fix is one line of commands
  return 0;
}
