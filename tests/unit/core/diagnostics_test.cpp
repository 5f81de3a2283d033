#include <doctest/doctest.h>

#include <string>

#include "core/diagnostics.hpp"

TEST_CASE("diagnostics: tokens are cut at 32 bytes and escaped") {
  CHECK(hc::escape_text("abc") == "abc");
  CHECK(hc::escape_text(std::string(40, 'a')) == std::string(32, 'a') + "...");
  CHECK(hc::escape_text(std::string("a\nb\x00'\\\xff", 7)) == "a\\x0ab\\x00\\x27\\x5c\\xff");
  hc::diagnostics d;
  d.error({"f", 1, 2}, "bad", std::string(100, 'z') + "\n");
  CHECK(d.all()[0].str() == "f:1:2: bad near '" + std::string(32, 'z') + "...'");
  d.error({"f", 2, 1}, "bad\nline", "x");
  CHECK(d.all()[1].str() == "f:2:1: bad\\x0aline near 'x'");
}

TEST_CASE("diagnostics: a private file is described, never quoted") {
  hc::diagnostics d;
  d.mark_private("/etc/shadow");
  d.error({"/etc/shadow", 1, 1}, "unexpected token", "root:$6$secret");
  d.error({"/etc/shadow", 2, 1}, "unterminated quoted string", std::string("\"se\x01", 4));
  d.error({"/etc/shadow", 3, 1}, "missing ';'", "}");
  CHECK(d.all()[0].str() == "/etc/shadow:1:1: unexpected token near 'a word of 14 bytes'");
  CHECK(d.all()[1].str() ==
        "/etc/shadow:2:1: unterminated quoted string near 'a quoted string of 4 bytes, first unusual byte 0x01 at offset 3'");
  CHECK(d.all()[2].str() == "/etc/shadow:3:1: missing ';' near '}'");
  CHECK(hc::describe_token("abc") == "a word of 3 bytes");
}

TEST_CASE("diagnostics: capped per file and message, then per file, with 'and N more'") {
  hc::diagnostics d;
  for (int i = 0; i < 1000; ++i) d.error({"z", static_cast<std::uint32_t>(i + 1), 1}, "record too long", "x");
  REQUIRE(d.all().size() == 11);
  CHECK(d.all()[10].str() == "z:11:1: ... and 990 more like 'record too long' in this file");
  CHECK(d.all()[10].is_error);
  hc::diagnostics e;
  for (int i = 0; i < 1000; ++i) e.warning({"y", 1, 1}, "w" + std::to_string(i));
  CHECK(e.all().size() == 101);
  CHECK(e.all()[100].str() == "y:1:1: ... and 900 more errors or warnings in this file");
  CHECK_FALSE(e.has_errors());
  hc::diagnostics sum;
  sum.append(d);
  sum.append(e);
  CHECK(sum.all().size() == 112);
  CHECK(sum.all().back().str() == "y:1:1: ... and 900 more errors or warnings in this file");
}
