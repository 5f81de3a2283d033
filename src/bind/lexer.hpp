#pragma once
// The named.conf lexer: words, quoted strings, braces and semicolons, each with file:line:col.
// Pure: works on text in memory, reports errors to diagnostics and never throws.

#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"

namespace hc::bind {

// One token of named.conf.
struct token {
  enum class kind { word, string, lbrace, rbrace, semicolon, end };
  kind what = kind::end;
  std::string text;  // the word, or the string without its quotes and with escapes resolved
  source_location where;

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
