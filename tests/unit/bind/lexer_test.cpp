#include <doctest/doctest.h>

#include "bind/lexer.hpp"

using hc::bind::lex;
using hc::bind::token;
using kind = hc::bind::token::kind;

namespace {

std::vector<std::string> texts(const std::vector<token>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    if (t.what != kind::end) out.push_back(t.text);
  return out;
}

std::vector<std::string> messages(const hc::diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.all()) out.push_back(x.str());
  return out;
}

}  // namespace

TEST_CASE("lexer: punctuation, words and positions") {
  hc::diagnostics d;
  auto ts = lex("acl lan {\n  198.18.1.0/24;\n\t!10.0.0.1; };", "f.conf", d);
  CHECK(d.all().empty());
  CHECK(texts(ts) == std::vector<std::string>{"acl", "lan", "{", "198.18.1.0/24", ";", "!", "10.0.0.1", ";", "}", ";"});
  CHECK(ts[0].where.str() == "f.conf:1:1");
  CHECK(ts[2].what == kind::lbrace);
  CHECK(ts[2].where.str() == "f.conf:1:9");
  CHECK(ts[3].where.str() == "f.conf:2:3");
  CHECK(ts[5].where.str() == "f.conf:3:2");
  CHECK(ts[6].where.str() == "f.conf:3:3");
  CHECK(ts.back().what == kind::end);
  CHECK(ts.back().where.str() == "f.conf:3:15");
}

TEST_CASE("lexer: every comment style") {
  hc::diagnostics d;
  auto ts = lex("a; // c++ comment\n# shell comment\nb /* c\nstyle */ c;/**/d#x\ne//y\n/* a * / b */f", "f", d);
  CHECK(d.all().empty());
  CHECK(texts(ts) == std::vector<std::string>{"a", ";", "b", "c", ";", "d", "e", "f"});
  CHECK(ts[3].where.str() == "f:4:10");
  CHECK(ts[7].where.str() == "f:6:14");
  // A slash that does not start a comment is part of a word.
  auto p = lex("/etc/bind/x 10/8;", "f", d);
  CHECK(texts(p) == std::vector<std::string>{"/etc/bind/x", "10/8", ";"});
}

TEST_CASE("lexer: quoted strings with escapes") {
  hc::diagnostics d;
  auto ts = lex(R"(file "a \"b\" c\\d \x"; "{;}" "multi
line" "";)", "f", d);
  CHECK(d.all().empty());
  REQUIRE(ts.size() == 8);
  CHECK(ts[1].what == kind::string);
  CHECK(ts[1].text == "a \"b\" c\\d \\x");
  CHECK(ts[3].text == "{;}");
  CHECK(ts[4].text == "multi\nline");
  CHECK(ts[5].text.empty());
  CHECK(ts[5].what == kind::string);
  CHECK(ts[5].where.str() == "f:2:7");
  CHECK(hc::bind::describe(ts[3]) == "\"{;}\"");
  CHECK(hc::bind::describe(ts.back()) == "end of file");
  // Comment markers inside a string are text.
  auto c = lex("\"// # /* x */\"", "f", d);
  CHECK(c[0].text == "// # /* x */");
}

TEST_CASE("lexer: unterminated string and comment are errors where they start") {
  hc::diagnostics d;
  lex("zone \"example.com {\n  type primary;\n", "named.conf", d);
  CHECK(messages(d) == std::vector<std::string>{"named.conf:1:6: unterminated quoted string near '\"example.com {'"});

  hc::diagnostics d2;
  auto ts = lex("a;\n  /* never closed\n b;", "named.conf", d2);
  CHECK(messages(d2) == std::vector<std::string>{"named.conf:2:3: unterminated comment near '/*'"});
  CHECK(texts(ts) == std::vector<std::string>{"a", ";"});
}

TEST_CASE("lexer: hostile input does not crash") {
  hc::diagnostics d;
  std::string junk("\0\xff\"\\", 4);
  auto ts = lex(junk, "f", d);
  CHECK(ts.back().what == kind::end);
  CHECK(d.has_errors());
  auto e = lex("", "f", d);
  CHECK(e.size() == 1);
  CHECK(e[0].where.str() == "f:1:1");
  auto b = lex("\"a\\", "f", d);
  CHECK(b.back().what == kind::end);
}

TEST_CASE("lexer: CRLF line ends and a UTF-8 byte order mark") {
  hc::diagnostics d;
  auto ts = lex("\xEF\xBB\xBFoptions {\r\n  recursion no;\r\n};\r\n", "win.conf", d);
  CHECK(d.all().empty());
  CHECK(texts(ts) == std::vector<std::string>{"options", "{", "recursion", "no", ";", "}", ";"});
  CHECK(ts[0].where.str() == "win.conf:1:1");
  CHECK(ts[2].where.str() == "win.conf:2:3");
}

TEST_CASE("lexer: tokens share one copy of the file path, and convert to a full source_location") {
  hc::diagnostics d;
  std::string file = "/etc/bind/a-path-longer-than-the-small-string-buffer.conf";
  auto ts = lex("view \"v\" { };", file, d);
  REQUIRE(ts.size() == 6);
  const std::string* first = ts[0].where.file.get();
  REQUIRE(first != nullptr);
  CHECK(*first == file);
  CHECK(ts.back().where.file.get() == first);  // one copy for the whole text
  hc::source_location full = ts[2].where;
  CHECK(full.file == file);
  CHECK(full.line == 1);
  CHECK(full.column == 10);
  CHECK(full.str() == ts[2].where.str());
  // A diagnostic made from a token's location names the file as before.
  d.error(ts[1].where, "test message");
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].where.file == file);
  CHECK(d.all()[0].where.column == 6);
  // The path outlives the lexer's caller's string, and another text keeps its own path.
  std::vector<token> other;
  {
    std::string name = "other.conf";
    other = lex("x;", name, d);
  }
  REQUIRE(other[0].where.file != nullptr);
  CHECK(*other[0].where.file == "other.conf");
  CHECK(other[0].where.str() == "other.conf:1:1");
}
