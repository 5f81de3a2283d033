#include <doctest/doctest.h>

#include <string>

#include "nat/nat.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;

namespace {

struct sample {
  const char* file;
  nat_format form;
};

// One file of each form, as the readers' tests use them.
const sample samples[] = {
    {"portfw.iptables-save", nat_format::iptables},       {"router.nft.json", nat_format::nft_json},
    {"router.nft", nat_format::nft_text},                 {"openwrt/home.firewall", nat_format::openwrt},
    {"mikrotik/hairpin.rsc", nat_format::routeros},      {"pfsense/home.xml", nat_format::pfsense},
    {"pfsense/opnsense-home.xml", nat_format::pfsense},
};

}  // namespace

TEST_CASE("--nat-format names: every form round-trips, anything else is refused") {
  for (nat_format f : {nat_format::auto_detect, nat_format::iptables, nat_format::nft_json, nat_format::nft_text,
                       nat_format::openwrt, nat_format::routeros, nat_format::pfsense}) {
    std::string name = to_string(f);
    CAPTURE(name);
    auto back = parse_nat_format(name);
    REQUIRE(back);
    CHECK(*back == f);
  }
  CHECK_FALSE(parse_nat_format("opnsense"));  // one form for both: their config.xml is read by one reader
  CHECK_FALSE(parse_nat_format("NFT-TEXT"));
  CHECK_FALSE(parse_nat_format(""));
}

TEST_CASE("--nat-format: each bundled sample is detected as its form and reads the same when forced") {
  for (const auto& s : samples) {
    std::string path = nat_test::data(s.file);
    std::string text = nat_test::slurp(path);
    CAPTURE(path);
    CHECK(detect_nat_format(text) == s.form);
    hc::diagnostics d1, d2;
    auto detected = parse_nat_rules(text, path, d1);
    auto forced = parse_nat_rules(text, path, d2, s.form);
    CHECK(d1.all().size() == d2.all().size());
    CHECK(forced.errors == detected.errors);
    CHECK(forced.syntax == detected.syntax);
    CHECK(forced.chains.size() == detected.chains.size());
    CHECK_FALSE(forced.chains.empty());
  }
}

TEST_CASE("--nat-format: a file in another form is an error at file:1:1 naming the form detected, nothing read") {
  for (const auto& s : samples) {
    std::string path = nat_test::data(s.file);
    std::string text = nat_test::slurp(path);
    for (nat_format f : {nat_format::iptables, nat_format::nft_json, nat_format::nft_text, nat_format::openwrt,
                         nat_format::routeros}) {
      if (f == s.form) continue;
      std::string forced_name = to_string(f);
      CAPTURE(path);
      CAPTURE(forced_name);
      hc::diagnostics d;
      auto rs = parse_nat_rules(text, path, d, f);
      REQUIRE(d.all().size() == 1);
      const auto& e = d.all().front();
      CHECK(e.is_error);
      CHECK(e.where.file == path);
      CHECK(e.where.line == 1);
      CHECK(e.where.column == 1);
      std::string msg = e.str();
      CHECK(msg.find("--nat-format " + forced_name) != std::string::npos);
      CHECK(msg.find(std::string("reads as ") + to_string(s.form)) != std::string::npos);
      CHECK(rs.errors == 1);
      CHECK(rs.chains.empty());  // nothing read: every prediction is unknown, never OK
    }
  }
  // Empty input stays "empty", whatever the form.
  hc::diagnostics d;
  auto rs = parse_nat_rules(" \n", "empty", d, nat_format::openwrt);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all().front().str().find("empty") != std::string::npos);
  CHECK(rs.errors == 1);
  // A byte-order mark alone is not out-of-bounds: read as (empty) iptables-save text.
  CHECK(detect_nat_format("\xEF\xBB\xBF") == nat_format::iptables);
}
