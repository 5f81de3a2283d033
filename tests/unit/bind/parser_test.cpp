#include <doctest/doctest.h>

#include "bind/parser.hpp"

using hc::bind::node;
using hc::bind::parse_text;

namespace {

std::vector<std::string> messages(const hc::diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.all()) out.push_back(x.str());
  return out;
}

}  // namespace

TEST_CASE("parser: generic tree of keywords, arguments and blocks") {
  hc::diagnostics d;
  auto t = parse_text(R"(
options { directory "/var/cache/bind"; listen-on port 53 { any; }; };
view "intra" IN { match-clients { lan; !{ 10.0.0.1; }; }; };
controls { inet 127.0.0.1 port 953 allow { 127.0.0.1; } keys { "rndc-key"; }; };
)", "n.conf", d);
  CHECK(d.all().empty());
  REQUIRE(t.size() == 3);
  CHECK(t[0].keyword == "options");
  CHECK(t[0].where.str() == "n.conf:2:1");
  REQUIRE(t[0].block());
  const auto& opts = *t[0].block();
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].keyword == "directory");
  CHECK(opts[0].arguments.at(0).text == "/var/cache/bind");
  CHECK(opts[1].arguments.size() == 2);
  CHECK(opts[1].block()->at(0).keyword == "any");

  CHECK(t[1].keyword == "view");
  CHECK(t[1].arguments.size() == 2);
  const auto& mc = t[1].block()->at(0);
  CHECK(mc.keyword == "match-clients");
  REQUIRE(mc.block()->size() == 2);
  const auto& neg = mc.block()->at(1);
  CHECK(neg.keyword == "!");
  REQUIRE(neg.blocks.size() == 1);
  CHECK(neg.blocks[0].at(0).keyword == "10.0.0.1");

  // A statement with several blocks and words between them.
  const auto& inet = t[2].block()->at(0);
  CHECK(inet.keyword == "inet");
  CHECK(inet.blocks.size() == 2);
  CHECK(inet.arguments.size() == 5);  // inet is the keyword: 127.0.0.1 port 953 allow keys
  CHECK(inet.arguments.back().text == "keys");
}

TEST_CASE("parser: anonymous nested blocks and empty statements") {
  hc::diagnostics d;
  auto t = parse_text("acl a { { 1.2.3.4; 5.6.7.8; }; ;; };;", "f", d);
  CHECK(d.all().empty());
  REQUIRE(t.size() == 1);
  REQUIRE(t[0].block()->size() == 1);
  CHECK(t[0].block()->at(0).keyword.empty());
  CHECK(t[0].block()->at(0).block()->size() == 2);
}

TEST_CASE("parser: errors with positions, and it goes on after them") {
  hc::diagnostics d;
  auto t = parse_text(
      "zone \"a\" { type primary; file \"a\" }\n"   // missing ; before }
      "};\n"                                        // stray }
      "zone \"b\" { type primary; }\n"              // missing ; after the block
      "zone \"c\" { type primary; };\n"
      "{ x; };\n"                                   // anonymous block at top level
      "view \"v\" { zone \"d\" { type primary; };\n",  // never closed
      "named.conf", d);
  CHECK(messages(d) == std::vector<std::string>{
                           "named.conf:1:35: missing ';' near '}'",
                           "named.conf:2:1: unexpected token near '}'",
                           "named.conf:4:1: missing ';' near 'zone'",
                           "named.conf:5:1: unexpected token near '{'",
                           "named.conf:7:1: '}' expected at end of file, to close the '{' of line 6",
                       });
  REQUIRE(t.size() == 4);
  CHECK(t[0].arguments.at(0).text == "a");
  CHECK(t[1].arguments.at(0).text == "b");
  CHECK(t[2].arguments.at(0).text == "c");
  CHECK(t[3].keyword == "view");
  CHECK(t[3].block()->at(0).keyword == "zone");
}

TEST_CASE("parser: a missing ';' inside a block is reported at the next token") {
  hc::diagnostics d;
  auto t = parse_text("options {\n  recursion no\n};\n", "o.conf", d);
  CHECK(messages(d) == std::vector<std::string>{"o.conf:3:1: missing ';' near '}'"});
  REQUIRE(t.size() == 1);
  CHECK(t[0].block()->at(0).arguments.at(0).text == "no");
}

TEST_CASE("parser: iequals compares keywords without case") {
  CHECK(hc::bind::iequals("Match-Clients", "match-clients"));
  CHECK_FALSE(hc::bind::iequals("zone", "zones"));
}

TEST_CASE("parser: hostile nesting is an error, not a stack overflow") {
  hc::diagnostics d;
  std::string deep = "options " + std::string(100000, '{') + std::string(100000, '}') + ";\nacl after { any; };\n";
  auto t = parse_text(deep, "deep.conf", d);
  REQUIRE_FALSE(d.all().empty());  // then one missing ';' per anonymous block
  CHECK(d.all()[0].str() == "deep.conf:1:73: blocks nested too deeply (more than 64, HC_MAX_BLOCK_DEPTH) near '{'");
  REQUIRE(t.size() == 2);
  CHECK(t[1].keyword == "acl");

  hc::diagnostics d2;
  auto open = parse_text(std::string(50000, '{'), "open.conf", d2);
  CHECK(d2.has_errors());
}
