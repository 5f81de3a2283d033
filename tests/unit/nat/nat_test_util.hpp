#pragma once
// Helpers shared by the NAT tests.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.hpp"
#include "nat/nat.hpp"

namespace nat_test {

// `base` with 1 to 6 random edits (a byte replaced from `alphabet`, up to 20 bytes erased, a byte
// from `alphabet` inserted); `if_empty` when the edits leave nothing. The readers' mutation tests.
inline std::string mutate(const std::string& base, std::mt19937& rng, std::string_view alphabet, const char* if_empty) {
  std::string s = base;
  int edits = 1 + static_cast<int>(rng() % 6);
  for (int e = 0; e < edits; ++e) {
    std::size_t pos = rng() % s.size();
    switch (rng() % 3) {
      case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
      case 1: s.erase(pos, 1 + rng() % 20); break;
      default: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
    }
    if (s.empty()) s = if_empty;
  }
  return s;
}

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

// Reads TEXT (from FILE) by content and checks it read without errors as SYNTAX.
inline hc::nat::ruleset read_clean(const std::string& text, const std::string& file, hc::nat::rule_syntax syntax) {
  hc::diagnostics d;
  auto rs = hc::nat::parse_nat_rules(text, file, d);
  INFO(all_text(d));
  CHECK_FALSE(d.has_errors());
  CHECK(rs.syntax == syntax);
  return rs;
}

// The lines of a text as the readers number them (from 1): split at '\n', a final '\r' dropped.
inline std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) return out;
    pos = nl + 1;
  }
}

// What every reading must give, whatever the input: rs.errors counts the error diagnostics; every
// diagnostic and every rule names the file and one of its lines; and a rule set read with errors
// predicts every service "unknown" and yields no finding (a missing rule could change the outcome).
inline void check_reading_contract(std::string_view text, const std::string& file, const hc::nat::ruleset& rs,
                                   const hc::diagnostics& d) {
  const auto lines = lines_of(text);
  auto errors = std::count_if(d.all().begin(), d.all().end(), [](const hc::diagnostic& x) { return x.is_error; });
  CHECK(rs.errors == static_cast<std::size_t>(errors));
  CHECK(rs.file == file);
  for (const auto& x : d.all()) {
    CAPTURE(x.str());
    CHECK(x.where.file == file);
    CHECK(x.where.line >= 1);
    CHECK(x.where.line <= lines.size());
  }
  for (const auto& c : rs.chains) {
    for (const auto& r : c.rules) {
      CAPTURE(r.text);
      CHECK(r.where.file == file);
      CHECK(r.where.line >= 1);
      CHECK(r.where.line <= lines.size());
    }
  }
  auto ctx = lan_context();
  ctx.services = {{ip("203.0.113.1"), hc::nat::proto_tcp, 443, "blog.debugo.fr", std::nullopt},
                  {ip("203.0.113.1"), hc::nat::proto_udp, 53, "ns.debugo.fr", std::nullopt},
                  {ip("203.0.113.2"), hc::nat::proto_tcp, 25, "mail.debugo.fr", std::nullopt}};
  auto preds = hc::nat::predict_services(rs, ctx);
  auto findings = hc::nat::analyse(rs, ctx);
  if (rs.errors > 0) {
    CHECK(findings.empty());
    for (const auto& p : preds) CHECK(p.prediction.result == hc::nat::outcome::unknown);
  }
}

struct mutation_outcome {
  int clean = 0;      // mutations read without an error
  int diagnosed = 0;  // mutations with an error diagnostic
};

// 300 mutations of `base` (mutate() with `rng`), each read by `parse(text, file, diags)` with its
// error count set from the diagnostics and held to check_reading_contract.
template <class Parse>
mutation_outcome mutation_rounds(const std::string& base, std::mt19937& rng, std::string_view alphabet,
                                 const char* if_empty, Parse parse, const std::string& file) {
  mutation_outcome out;
  for (int round = 0; round < 300; ++round) {
    std::string s = mutate(base, rng, alphabet, if_empty);
    CAPTURE(s);
    hc::diagnostics d;
    auto rs = parse(s, file, d);
    rs.errors = 0;
    for (const auto& x : d.all()) rs.errors += x.is_error;
    check_reading_contract(s, file, rs, d);
    ++(d.has_errors() ? out.diagnosed : out.clean);
  }
  return out;
}

}  // namespace nat_test
