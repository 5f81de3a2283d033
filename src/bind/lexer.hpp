#pragma once
// The named.conf lexer: words, quoted strings, braces and semicolons, each with file:line:col.
// Pure: works on text in memory, reports errors to diagnostics and never throws.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"

namespace hc::bind {

// Where a token of named.conf starts: as a source_location, but the file path is one copy shared by
// every token of the text (a named.conf of 10^5 views has millions of tokens) instead of a copy each.
struct location {
  std::shared_ptr<const std::string> file;  // nullptr: no file
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  source_location full() const { return {file ? *file : std::string(), line, column}; }
  operator source_location() const { return full(); }  // NOLINT: a location is a source_location
  // "file:line:col", as source_location::str().
  std::string str() const { return full().str(); }
};

// One token of named.conf.
struct token {
  enum class kind { word, string, lbrace, rbrace, semicolon, end };
  kind what = kind::end;
  std::string text;  // the word, or the string without its quotes and with escapes resolved
  location where;

  bool is_text() const { return what == kind::word || what == kind::string; }
};

// Splits `text` (the contents of `file`) into tokens, the last one always kind::end.
// Comments in the three BIND styles (`//`, `#`, `/* */`) are dropped. `!` is a token of its own.
// In quoted strings `\"` stands for `"` and `\\` for `\`; any other backslash is kept as BIND
// keeps it, and a string may span lines. An unterminated string or comment is an error at the
// position where it starts.
std::vector<token> lex(std::string_view text, const std::string& file, diagnostics& diags);

// A token as it reads in a message: the word, the string in quotes, "{", "}", ";", "end of file".
std::string describe(const token& t);

}  // namespace hc::bind
