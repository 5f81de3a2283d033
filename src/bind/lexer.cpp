#include "bind/lexer.hpp"

#include <cctype>
#include <algorithm>

namespace hc::bind {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Characters that end a word.
bool is_special(char c) { return is_space(c) || c == '{' || c == '}' || c == ';' || c == '"' || c == '!'; }

class lexer {
 public:
  lexer(std::string_view text, const std::string& file, diagnostics& diags)
      : text_(text), file_(std::make_shared<const std::string>(file)), diags_(diags) {}

  std::vector<token> run() {
    std::vector<token> out;
    out.reserve(text_.size() / 4 + 1);  // about one token per 4-8 bytes in a named.conf
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {  // a UTF-8 byte order mark left by an editor
      pos_ = 3;
      line_start_ = 3;
    }
    for (;;) {
      skip_blanks_and_comments();
      if (pos_ >= text_.size()) break;
      after_secret_ = !out.empty() && out.back().what == token::kind::word && iequals_ascii(out.back().text, "secret");
      out.push_back(next());
    }
    out.push_back({token::kind::end, {}, here()});
    return out;
  }

 private:
  location here() const { return {file_, line_, static_cast<std::uint32_t>(pos_ - line_start_ + 1)}; }

  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  bool at_comment() const {
    char c = peek();
    return c == '#' || (c == '/' && (peek(1) == '/' || peek(1) == '*'));
  }

  void skip_blanks_and_comments() {
    while (pos_ < text_.size()) {
      char c = peek();
      if (is_space(c)) {
        advance();
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        while (pos_ < text_.size() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        auto start = here();
        advance();
        advance();
        bool closed = false;
        while (pos_ < text_.size()) {
          if (peek() == '*' && peek(1) == '/') {
            advance();
            advance();
            closed = true;
            break;
          }
          advance();
        }
        if (!closed) diags_.error(start, "unterminated comment", "/*");
      } else {
        return;
      }
    }
  }

  token next() {
    auto where = here();
    char c = peek();
    switch (c) {
      case '{': advance(); return {token::kind::lbrace, "{", std::move(where)};
      case '}': advance(); return {token::kind::rbrace, "}", std::move(where)};
      case ';': advance(); return {token::kind::semicolon, ";", std::move(where)};
      case '!': advance(); return {token::kind::word, "!", std::move(where)};
      case '"': return quoted(std::move(where));
      default: break;
    }
    // A word has no newline (a space ends it): taken whole, no line to count.
    std::size_t start = pos_;
    while (pos_ < text_.size() && !is_special(peek()) && !at_comment()) ++pos_;
    return {token::kind::word, std::string(text_.substr(start, pos_ - start)), std::move(where)};
  }

  token quoted(location where) {
    advance();  // the opening quote
    std::string s;
    while (pos_ < text_.size()) {
      char c = peek();
      if (c == '"') {
        advance();
        return {token::kind::string, std::move(s), std::move(where)};
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        char e = peek(1);
        if (e == '"' || e == '\\') {
          s += e;
          advance();
          advance();
          continue;
        }
      }
      s += c;
      advance();
    }
    // The string's first line at most; diagnostics cut and escape it (or describe it, in an
    // included file): the rest of the file after a stray quote may be anything.
    // A key's secret is never quoted, not even in part: only its kind is named.
    if (after_secret_)
      diags_.error(where, "unterminated quoted string (a key's secret)");
    else
      diags_.error(where, "unterminated quoted string", "\"" + s.substr(0, std::min(s.find('\n'), max_quoted + 1)));
    return {token::kind::string, std::move(s), where};
  }

  static bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
  }

  bool after_secret_ = false;  // the token being read follows the word `secret`
  std::string_view text_;
  std::shared_ptr<const std::string> file_;  // shared by every token
  diagnostics& diags_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  std::uint32_t line_ = 1;
};

}  // namespace

std::vector<token> lex(std::string_view text, const std::string& file, diagnostics& diags) {
  return lexer(text, file, diags).run();
}

std::string describe(const token& t) {
  switch (t.what) {
    case token::kind::string: return "\"" + t.text + "\"";
    case token::kind::end: return "end of file";
    default: return t.text;
  }
}

}  // namespace hc::bind
