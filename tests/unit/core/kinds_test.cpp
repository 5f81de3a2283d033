// The one table of finding kinds, and docs/findings.md kept equal to it.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/kinds.hpp"
#include "core/result.hpp"

namespace {

std::string cell(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "| kind | severity | meaning |" rows of the two kind tables of docs/findings.md, as "kind|severity|meaning".
std::vector<std::string> documented_rows() {
  std::ifstream in(std::string(HC_SOURCE_DIR) + "/docs/findings.md");
  REQUIRE(in);
  std::vector<std::string> rows;
  std::string line;
  bool in_tables = false;
  while (std::getline(in, line)) {
    if (line.rfind("## Static", 0) == 0) in_tables = true;
    if (line.rfind("## How", 0) == 0) in_tables = false;
    if (!in_tables || line.rfind("| ", 0) != 0 || line.rfind("| kind ", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) cells.push_back(cell(c));
    REQUIRE(cells.size() >= 3);
    rows.push_back(cells[0] + "|" + cells[1] + "|" + cells[2]);
  }
  return rows;
}

}  // namespace

TEST_CASE("kinds: every kind has a unique stable name that maps back to it") {
  std::set<std::string_view> names;
  for (const auto& k : hc::all_kinds()) {
    CAPTURE(k.name);
    CHECK(names.insert(k.name).second);
    CHECK(hc::kind_from_name(k.name) == k.kind);
    CHECK(hc::name(k.kind) == k.name);
    CHECK_FALSE(k.meaning.empty());
    CHECK(k.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string_view::npos);
  }
  CHECK_FALSE(hc::kind_from_name("made-up"));
  CHECK_FALSE(hc::kind_from_name(""));
}

TEST_CASE("kinds: the contract's severities, and the new kinds of 0.2") {
  CHECK(hc::default_severity(hc::finding_kind::config_error) == hc::severity::unknown);
  CHECK(hc::default_severity(hc::finding_kind::not_checked) == hc::severity::unknown);
  CHECK(hc::default_severity(hc::finding_kind::no_such_name) == hc::severity::warning);
  CHECK(hc::default_severity(hc::finding_kind::cname_loop) == hc::severity::warning);
  CHECK(hc::default_severity(hc::finding_kind::unexpected_source) == hc::severity::critical);
  CHECK(hc::default_severity(hc::finding_kind::intra_only) == hc::severity::info);
  CHECK(hc::info(hc::finding_kind::cert_expiry).also_critical);
  CHECK(hc::info(hc::finding_kind::slow_response).also_critical);
  CHECK(hc::is_transport_failure(hc::finding_kind::unexpected_source));
  CHECK_FALSE(hc::is_transport_failure(hc::finding_kind::not_checked));
}

TEST_CASE("kinds: docs/findings.md lists exactly the table, with the same severities and meanings") {
  std::vector<std::string> want;
  for (const auto& k : hc::all_kinds())
    want.push_back(std::string(k.name) + "|" + hc::to_string(k.sev) + (k.also_critical ? "/critical" : "") + "|" +
                   std::string(k.meaning));
  auto got = documented_rows();
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  CHECK(got == want);
}

TEST_CASE("kinds: the README and the man page name every kind of the table") {
  for (const char* doc : {"/README.md", "/docs/hairpin-check.1"}) {
    std::ifstream in(std::string(HC_SOURCE_DIR) + doc);
    REQUIRE(in);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The man page escapes hyphens.
    std::string plain;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') continue;
      plain += text[i];
    }
    for (const auto& k : hc::all_kinds()) {
      CAPTURE(doc);
      CAPTURE(k.name);
      CHECK(plain.find(std::string(k.name)) != std::string::npos);
    }
  }
}
