#include <doctest/doctest.h>

#include "print_vector.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/zone_gen.hpp"
#include "zone/view_diff.hpp"
#include "zone/zone.hpp"

using namespace hc::zone;
namespace fs = std::filesystem;

namespace {

// Loads a file with both readers and checks they give the same RRsets and the same error lines.
void same_with_both_readers(const std::string& file, const std::string& origin) {
  CAPTURE(file);
  hc::diagnostics df, dl;
  auto fast = load_zone_file(file, origin, df, reader_kind::fast);
  auto slow = load_zone_file(file, origin, dl, reader_kind::ldns);
  REQUIRE(fast);
  REQUIRE(slow);
  for (const auto& x : df.all()) CAPTURE(x.str());
  for (const auto& x : dl.all()) CAPTURE(x.str());
  CHECK(df.all().size() == dl.all().size());
  CHECK(fast->serial() == slow->serial());
  CHECK(fast->record_count() == slow->record_count());
  auto a = fast->rrsets(), b = slow->rrsets();
  CHECK(a.size() == b.size());
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    CAPTURE(a[i].owner);
    CAPTURE(b[i].owner);
    CHECK(a[i] == b[i]);
    if (!(a[i] == b[i])) break;
  }
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/hc-zone-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("fast reader and ldns agree on every zone file in tests/data/zones and zones/") {
  const fs::path data = fs::path(HC_TEST_DATA) / "zones";
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file()) continue;
    const auto name = e.path().filename().string();
    // Included fragments, and files that are broken on purpose (the two readers word errors differently).
    if (e.path().parent_path().filename() == "inc" || name == "errors.zone" || name == "raw.zone") continue;
    std::string origin = "example.net";
    if (e.path().extension() != ".zone" && e.path().extension() != ".intra" && e.path().extension() != ".extra")
      origin = name;
    same_with_both_readers(e.path().string(), origin);
    ++files;
  }
  CHECK(files >= 7);
  for (const char* f : {"db.debugo.fr.intra", "db.debugo.fr.extra"})
    same_with_both_readers(std::string(HC_SOURCE_DIR) + "/zones/" + f, "debugo.fr");
}

TEST_CASE("fast reader and ldns agree on generated zones with varied syntax") {
  temp_dir dir;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    hc::bench::gen_options o;
    o.names = 3000;
    o.seed = seed;
    o.varied_syntax = true;
    auto g = hc::bench::generate_pair(o);
    same_with_both_readers(dir.write("intra", g.intra), o.origin);
    same_with_both_readers(dir.write("extra", g.extra), o.origin);
  }
}

TEST_CASE("fast reader hands what it is not sure of to ldns, record by record") {
  temp_dir dir;
  std::string text =
      "$ORIGIN example.net.\n$TTL 300\n"
      "@ SOA ns hostmaster 1 2 3 4 5\n"
      "caf\\195\\169 A 192.0.2.1\n"         // escaped UTF-8 owner
      "b A 192.000.2.3\n"                   // not an address for inet_pton
      "c MX 70000 mail\n"                   // out of range
      "d TXT \"caf\\195\\169\"\n"           // escaped string
      "e TXT \"" + std::string(300, 'x') + "\"\n"  // too long for one string
      "f AAAA ::ffff:192.0.2.1\n"
      "g CNAME a\\.b\n"
      "h NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.net!\" .\n"
      "i A 192.0.2.9 ; comment\n"
      "j CH A 192.0.2.10\n";
  // BIND (and the fast reader) take the class before the TTL; ldns does not, so not in the comparison.
  std::string bind_only = "a IN 60 A 192.0.2.2\nk IN 1h MX ( 10 mail.example.net. )\n";
  same_with_both_readers(dir.write("mixed.zone", text), "example.net");
  hc::diagnostics d;
  auto z = load_zone_file(dir.write("mixed2.zone", text + bind_only), "example.net", d);
  REQUIRE(z);
  CHECK(z->lookup("caf\\195\\169.example.net", rr_type::a) == std::vector<std::string>{"192.0.2.1"});
  CHECK(z->find_rrset("a.example.net", rr_type::a)->ttl == 60);
  CHECK(z->find_rrset("k.example.net", rr_type::mx)->ttl == 3600);
  CHECK(z->lookup("f.example.net", rr_type::aaaa) == std::vector<std::string>{"::ffff:192.0.2.1"});
  CHECK(z->find_cname("g.example.net") == "a\\.b.example.net.");
  CHECK(z->has_name("i.example.net"));
  CHECK_FALSE(z->has_name("j.example.net"));  // not class IN: an error
  CHECK(d.has_errors());
}

// Found by fuzz_zone: a quote inside an unquoted token. BIND's lexer ends the token at the quote
// (the master file lexer makes '"' special) and reads a quoted string; ldns keeps the quote in the
// token. The fast reader follows BIND, also when it hands the record to ldns.
TEST_CASE("a quote inside a token starts a new string, and \\v is no blank, as BIND reads them") {
  temp_dir dir;
  hc::diagnostics d;
  auto z = load_zone_file(dir.write("q.zone",
                                    "$ORIGIN example.net.\n@ SOA ns hostmaster 1 2 3 4 5\n"
                                    "a TXT b\"it: x\"y\n"
                                    "c TXT \"caf\\195\\169\" d\"e f\"g\n"
                                    "e MX 10 Mail\v\n"),
                          "example.net", d);
  REQUIRE(z);
  CHECK_FALSE(d.has_errors());
  CHECK(z->lookup("a.example.net", rr_type::txt) == std::vector<std::string>{"\"b\" \"it: x\" \"y\""});
  CHECK(z->lookup("c.example.net", rr_type::txt) ==
        std::vector<std::string>{"\"caf\\195\\169\" \"d\" \"e f\" \"g\""});
  // Only space and tab separate tokens for BIND: a vertical tab stays in the name (ldns's file
  // reader takes it for a blank).
  CHECK(z->lookup("e.example.net", rr_type::mx) == std::vector<std::string>{"10 mail\\011.example.net."});
}

TEST_CASE("generated pairs: the planted differences are found exactly") {
  temp_dir dir;
  for (bool varied : {false, true}) {
    hc::bench::gen_options o;
    o.names = 5000;
    o.planted = 7;
    o.varied_syntax = varied;
    auto g = hc::bench::generate_pair(o);
    hc::bind::config cfg;
    hc::bind::view_decl intra, extra;
    intra.name = "intra";
    hc::bind::address_match_element lan;
    lan.prefix = *hc::ip_prefix::parse("198.18.0.0/15");
    lan.text = "198.18.0.0/15";
    intra.match_clients.elements.push_back(lan);
    extra.name = "extra";
    hc::bind::zone_decl zi, ze;
    zi.name = ze.name = o.origin;
    zi.type = ze.type = "primary";
    zi.file = dir.write("intra", g.intra);
    ze.file = dir.write("extra", g.extra);
    intra.zones.push_back(zi);
    extra.zones.push_back(ze);
    cfg.views = {intra, extra};
    hc::diagnostics d;
    auto zones = load_zones(cfg, d);
    CHECK(d.all().empty());
    auto found = diff_views(zones, cfg, cfg.views[0], cfg.views[1]);
    std::vector<std::string> got, want;
    for (const auto& f : found) got.push_back(std::string(hc::name(f.kind)) + " " + f.name + " " + f.type + " " + f.view);
    for (const auto& p : g.manifest) want.push_back(p.summary());
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    CHECK(std::count_if(want.begin(), want.end(), [](const std::string& s) { return s.rfind("leak", 0) == 0; }) == 7);
    CHECK(got == want);
  }
}

TEST_CASE("hostile zone file text gives diagnostics, never a crash") {
  temp_dir dir;
  const std::vector<std::string> texts = {
      "",
      "(",
      ")",
      "\"",
      "\\",
      "a A 192.0.2.1 \\",
      "$",
      "$TTL",
      "$ORIGIN",
      "$INCLUDE",
      "$GENERATE",
      "$GENERATE 1-2",
      "$GENERATE 1-2 a${ A 1.2.3.4",
      "$INCLUDE /dev/null",
      "$INCLUDE " + dir.path.string(),
      "a ( ( ( A 192.0.2.1 ) ) )",
      "a TXT \"unterminated",
      "a TXT \"multi\nline\"",
      std::string(70000, 'a') + " A 192.0.2.1",
      "a MX 10 " + std::string(300, 'b'),
      "a CNAME " + std::string(64, 'c') + ".example.net.",
      "a A 192.0.2.1\n\n\n   \n\t; only a comment\n  A 192.0.2.2",
      "   A 192.0.2.3",
      "a 4294967296 A 192.0.2.1",
      "a 1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w A 192.0.2.1",
      "a TYPE99999 \\# 0",
      "a TYPE65000 \\# 2 00",
      std::string("a A 192.0.2.1\n") + std::string(600, '\0'),
  };
  for (const auto& t : texts) {
    CAPTURE(t.substr(0, 60));
    for (auto kind : {reader_kind::fast, reader_kind::ldns}) {
      hc::diagnostics d;
      auto z = load_zone_file(dir.write("hostile.zone", "$ORIGIN example.net.\n" + t), "example.net", d, kind);
      if (t.find('\0') != std::string::npos) {
        // Null bytes near the start mean a raw or map zone: the whole file is refused, with its reason.
        CHECK_FALSE(z);
        REQUIRE(d.all().size() == 1);
        CHECK(d.all()[0].message.find("not a text zone file") != std::string::npos);
        continue;
      }
      // Any other readable file loads: broken records are skipped and named by their line.
      REQUIRE(z);
      CHECK(z->record_count() < 10);
      for (const auto& x : d.all()) {
        CAPTURE(x.str());
        CHECK(x.where.line > 0);
      }
    }
  }
  // An $INCLUDE loop stops at the depth limit.
  dir.write("loop.zone", "$INCLUDE loop.zone\na A 192.0.2.1\n");
  hc::diagnostics d;
  auto z = load_zone_file((dir.path / "loop.zone").string(), "example.net", d);
  REQUIRE(z);
  CHECK(d.has_errors());
  CHECK(z->lookup("a.example.net", rr_type::a) == std::vector<std::string>{"192.0.2.1"});
}
