#pragma once
// The body of the fuzz targets of the NAT rule readers (nft text, OpenWrt, RouterOS): every rule
// and diagnostic names a line of the input, then the prediction runs on what was read.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "nat/nat.hpp"

namespace hc::fuzz {

struct nat_reader_checks {
  bool count_errors = true;    // the ruleset's error count from the diagnostics, as read_nat_rules does
  bool with_services = true;   // predict a LAN, an internal view and two published services
  bool one_line_fixes = false; // every fix is one line of commands
};

// `parse(text, file, diags)` is the reader.
template <class Parse>
int fuzz_nat_reader(const std::uint8_t* data, std::size_t size, Parse parse, const char* file, nat_reader_checks checks) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  hc::diagnostics diags;
  auto rules = parse(text, file, diags);
  for (const auto& d : diags.all())
    if (d.where.line < 1 || d.where.line > lines) std::abort();
  for (const auto& c : rules.chains)
    for (const auto& r : c.rules)
      if (r.where.line < 1 || r.where.line > lines) std::abort();
  if (checks.count_errors)
    for (const auto& d : diags.all()) rules.errors += d.is_error;
  hc::nat::analysis_context ctx;
  ctx.vantage = hc::ip_address::parse("198.18.1.99");
  if (checks.with_services) {
    ctx.lan = {*hc::ip_prefix::parse("198.18.1.0/24")};
    ctx.internal_view = [](const hc::ip_address& a) { return hc::ip_prefix::parse("198.18.1.0/24")->contains(a); };
    for (auto [proto, port] : {std::pair{hc::nat::proto_tcp, 443}, std::pair{hc::nat::proto_udp, 53}})
      ctx.services.push_back({*hc::ip_address::parse("203.0.113.1"), proto, static_cast<std::uint16_t>(port), "x",
                              hc::ip_address::parse("198.18.1.10")});
  }
  for (const auto& f : hc::nat::analyse(rules, ctx))
    if (checks.one_line_fixes && f.fix.find('\n') != std::string::npos) std::abort();
  return 0;
}

}  // namespace hc::fuzz
