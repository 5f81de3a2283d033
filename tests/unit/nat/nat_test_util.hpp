#pragma once
// Helpers shared by the NAT tests.

#include <fstream>
#include <sstream>
#include <string>

#include "core/ip.hpp"
#include "nat/nat.hpp"

namespace nat_test {

inline hc::ip_address ip(const char* s) { return *hc::ip_address::parse(s); }
inline hc::ip_prefix prefix(const char* s) { return *hc::ip_prefix::parse(s); }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string bundled_rules_path() { return std::string(HC_SOURCE_DIR) + "/zones/router.rules"; }
inline std::string data(const char* name) { return std::string(HC_TEST_DATA) + "/nat/" + name; }

// The bundled example's LAN: vantage 198.18.1.99, the intra view takes 198.18.1.0/24.
inline hc::nat::analysis_context lan_context() {
  hc::nat::analysis_context ctx;
  ctx.vantage = ip("198.18.1.99");
  ctx.lan = {prefix("198.18.1.0/24")};
  ctx.internal_view = [](const hc::ip_address& a) { return prefix("198.18.1.0/24").contains(a); };
  return ctx;
}

// All diagnostics as one text, for failure messages.
inline std::string all_text(const hc::diagnostics& d) {
  std::string out;
  for (const auto& x : d.all()) out += x.str() + "\n";
  return out;
}

}  // namespace nat_test
