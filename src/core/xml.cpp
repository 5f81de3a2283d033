#include "core/xml.hpp"

#include <algorithm>
#include <string>

#include "core/input_file.hpp"

namespace hc::xml {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

bool is_name_char(unsigned char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The parser: one pass over the text with an explicit stack of open elements (no recursion).
class reader {
 public:
  reader(std::string_view text, const std::string& file, diagnostics& diags, const limits& lim)
      : s_(text), file_(file), diags_(diags), lim_(lim) {}

  std::optional<node> run();

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool starts(std::string_view what) const { return s_.substr(pos_, what.size()) == what; }
  void advance(std::size_t n = 1) {
    for (std::size_t i = 0; i < n && pos_ < s_.size(); ++i, ++pos_)
      if (s_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
  }
  std::uint32_t column_at(std::size_t line_start, std::size_t pos) const {
    return static_cast<std::uint32_t>(pos - line_start + 1);
  }

  // Records the error at the current position and returns false.
  bool fail(std::string message, std::string_view near = {}) {
    return fail_at(line_, column_at(line_start_, pos_), std::move(message), near);
  }
  bool fail_at(std::uint32_t line, std::uint32_t column, std::string message, std::string_view near = {}) {
    diags_.error({file_, line, column}, std::move(message), std::string(near.substr(0, max_quoted + 1)));
    return false;
  }

  // A control byte XML does not allow (all below 0x20 except tab, LF, CR; and DEL)?
  bool check_byte() {
    auto c = static_cast<unsigned char>(peek());
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char hex[8];
      static const char digits[] = "0123456789abcdef";
      hex[0] = '0';
      hex[1] = 'x';
      hex[2] = digits[c >> 4];
      hex[3] = digits[c & 0xF];
      hex[4] = '\0';
      return fail(std::string("a control byte ") + hex + " is not allowed in XML");
    }
    return true;
  }

  bool skip_space() {
    while (!at_end() && is_space(peek())) advance();
    return true;
  }
  bool read_name(std::string& out, const char* what);
  bool read_reference(std::string& out);
  bool read_attribute_value(std::string& out);
  bool skip_comment();
  bool skip_processing_instruction();
  bool read_cdata(std::string& out);
  bool read_start_tag(std::vector<node*>& open);
  bool read_end_tag(std::vector<node*>& open);
  bool read_text(std::string* out);
  bool skip_misc(bool allow_declaration);

  std::string_view s_;
  const std::string& file_;
  diagnostics& diags_;
  const limits& lim_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::size_t line_start_ = 0;
  std::uint64_t nodes_ = 0;
};

bool reader::read_name(std::string& out, const char* what) {
  if (at_end() || !is_name_start(static_cast<unsigned char>(peek())))
    return fail(std::string("expected ") + what, s_.substr(pos_, 1));
  std::size_t start = pos_;
  while (!at_end() && is_name_char(static_cast<unsigned char>(peek()))) {
    if (pos_ - start >= lim_.max_name_bytes)
      return fail(std::string(what) + " longer than " + std::to_string(lim_.max_name_bytes) + " bytes");
    advance();
  }
  out.assign(s_.substr(start, pos_ - start));
  return true;
}

// At '&': a predefined entity or a character reference, appended decoded.
bool reader::read_reference(std::string& out) {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  std::size_t start = pos_;
  std::size_t semi = s_.find(';', pos_);
  // The longest valid reference is "&#x10FFFF;" or "&#1114111;" (10 bytes); a name is cut short.
  if (semi == std::string_view::npos || semi - pos_ > 12)
    return fail_at(line, column, "'&' that does not start an entity reference (write &amp;)", s_.substr(start, 8));
  std::string_view ref = s_.substr(pos_ + 1, semi - pos_ - 1);
  std::string_view token = s_.substr(start, semi - start + 1);
  if (ref == "lt") out += '<';
  else if (ref == "gt") out += '>';
  else if (ref == "amp") out += '&';
  else if (ref == "apos") out += '\'';
  else if (ref == "quot") out += '"';
  else if (ref.size() >= 2 && ref[0] == '#') {
    bool hex = ref[1] == 'x';
    std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return fail_at(line, column, "bad character reference", token);
    std::uint32_t cp = 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return fail_at(line, column, "bad character reference", token);
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      if (cp > 0x10FFFF) return fail_at(line, column, "character reference beyond U+10FFFF", token);
    }
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
    if (!allowed) return fail_at(line, column, "character reference to a character XML does not allow", token);
    append_utf8(out, cp);
  } else {
    return fail_at(line, column, "unknown entity (only &lt; &gt; &amp; &apos; &quot; and &#N; are read)", token);
  }
  advance(semi - pos_ + 1);
  return true;
}

bool reader::read_attribute_value(std::string& out) {
  char quote = peek();
  if (quote != '"' && quote != '\'') return fail("expected a quoted attribute value", s_.substr(pos_, 1));
  advance();
  while (true) {
    if (at_end()) return fail("end of input inside an attribute value");
    char c = peek();
    if (c == quote) {
      advance();
      return true;
    }
    if (c == '<') return fail("'<' inside an attribute value");
    if (!check_byte()) return false;
    if (c == '&') {
      if (!read_reference(out)) return false;
      continue;
    }
    out += c;
    advance();
  }
}

// At "<!--".
bool reader::skip_comment() {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  std::size_t end = s_.find("-->", pos_ + 4);
  if (end == std::string_view::npos) return fail_at(line, column, "comment without its end '-->'");
  while (pos_ < end + 3) {
    if (!check_byte()) return false;
    advance();
  }
  return true;
}

// At "<?": the XML declaration or another processing instruction, skipped.
bool reader::skip_processing_instruction() {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  std::size_t end = s_.find("?>", pos_ + 2);
  if (end == std::string_view::npos) return fail_at(line, column, "processing instruction without its end '?>'");
  while (pos_ < end + 2) {
    if (!check_byte()) return false;
    advance();
  }
  return true;
}

// At "<![CDATA[".
bool reader::read_cdata(std::string& out) {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  std::size_t begin = pos_ + 9;
  std::size_t end = s_.find("]]>", begin);
  if (end == std::string_view::npos) return fail_at(line, column, "CDATA section without its end ']]>'");
  advance(9);
  while (pos_ < end) {
    if (!check_byte()) return false;
    advance();
  }
  out.append(s_.substr(begin, end - begin));
  advance(3);
  return true;
}

// At '<' of a start tag: opens an element (or adds an empty one for "<x/>").
bool reader::read_start_tag(std::vector<node*>& open) {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  if (open.size() > lim_.max_depth)  // open[0] holds the root: the new element is at depth open.size()
    return fail("elements nested deeper than " + std::to_string(lim_.max_depth) + " levels");
  if (++nodes_ > lim_.max_nodes) return fail("more than " + std::to_string(lim_.max_nodes) + " elements");
  advance();  // '<'
  node n;
  n.line = line;
  n.column = column;
  if (!read_name(n.name, "an element name")) return false;
  while (true) {
    bool had_space = !at_end() && is_space(peek());
    skip_space();
    if (at_end()) return fail_at(line, column, "end of input inside the start tag of <" + n.name + ">");
    if (peek() == '>' || starts("/>")) break;
    if (!had_space) return fail("expected whitespace, '>' or '/>' in a start tag", s_.substr(pos_, 1));
    if (n.attributes.size() >= lim_.max_attributes)
      return fail("more than " + std::to_string(lim_.max_attributes) + " attributes on one element");
    std::uint32_t aline = line_;
    std::uint32_t acolumn = column_at(line_start_, pos_);
    std::string name, value;
    if (!read_name(name, "an attribute name")) return false;
    skip_space();
    if (peek() != '=') return fail("expected '=' after an attribute name", s_.substr(pos_, 1));
    advance();
    skip_space();
    if (!read_attribute_value(value)) return false;
    for (const auto& a : n.attributes)
      if (a.first == name) return fail_at(aline, acolumn, "attribute given twice", name);
    n.attributes.emplace_back(std::move(name), std::move(value));
  }
  bool empty = peek() == '/';
  advance(empty ? 2 : 1);
  if (open.empty()) {
    return fail_at(line, column, "internal: no parent");  // run() places the root itself
  }
  node* parent = open.back();
  parent->elements.push_back(std::move(n));
  if (!empty) open.push_back(&parent->elements.back());
  return true;
}

// At "</".
bool reader::read_end_tag(std::vector<node*>& open) {
  std::uint32_t line = line_;
  std::uint32_t column = column_at(line_start_, pos_);
  advance(2);
  std::string name;
  if (!read_name(name, "an element name")) return false;
  skip_space();
  if (peek() != '>') return fail("expected '>' to end the end tag </" + name + ">", s_.substr(pos_, 1));
  advance();
  const node* top = open.back();
  if (name != top->name)
    return fail_at(line, column,
                   "end tag does not match <" + top->name + "> opened at " + std::to_string(top->line) + ":" +
                       std::to_string(top->column),
                   name);
  open.pop_back();
  return true;
}

// Character data up to the next '<' (appended to *out, or only checked to be blank when null).
bool reader::read_text(std::string* out) {
  while (!at_end() && peek() != '<') {
    char c = peek();
    if (!check_byte()) return false;
    if (out == nullptr && !is_space(c)) return fail("text outside the root element", s_.substr(pos_, 1));
    if (c == '&') {
      if (!read_reference(*out)) return false;
      continue;
    }
    if (out != nullptr) *out += c;
    advance();
  }
  return true;
}

// Whitespace, comments and processing instructions before or after the root element.
bool reader::skip_misc(bool before_root) {
  while (true) {
    if (!read_text(nullptr)) return false;
    if (at_end()) return true;
    if (starts("<!--")) {
      if (!skip_comment()) return false;
    } else if (starts("<?")) {
      if (!skip_processing_instruction()) return false;
    } else if (starts("<!DOCTYPE") || starts("<!doctype")) {
      return fail("a DOCTYPE is refused: it may define entities (billion laughs) or load external ones", "<!DOCTYPE");
    } else if (before_root) {
      return true;
    } else {
      return fail("markup after the end of the root element", s_.substr(pos_, 2));
    }
  }
}

std::optional<node> reader::run() {
  std::uint64_t max_bytes = lim_.max_bytes != 0 ? lim_.max_bytes : input_limits::current().max_file_bytes;
  if (s_.size() > max_bytes) {
    fail_at(0, 0, "input " + too_large_message(max_bytes, "HC_MAX_FILE_BYTES"));
    return std::nullopt;
  }
  if (starts("\xEF\xBB\xBF")) {
    pos_ = 3;
    line_start_ = 3;
  }
  if (!skip_misc(true)) return std::nullopt;
  if (at_end()) {
    fail("no root element");
    return std::nullopt;
  }
  if (starts("</") || starts("<!")) {
    fail("expected the root element", s_.substr(pos_, 2));
    return std::nullopt;
  }
  // The root goes into a holder so that read_start_tag treats every element alike.
  node holder;
  std::vector<node*> open{&holder};
  if (!read_start_tag(open)) return std::nullopt;
  while (open.size() > 1) {
    node* top = open.back();
    if (!read_text(&top->text)) return std::nullopt;
    if (at_end()) {
      fail_at(top->line, top->column, "end of input inside <" + top->name + ">", top->name);
      return std::nullopt;
    }
    bool ok;
    if (starts("</")) ok = read_end_tag(open);
    else if (starts("<!--")) ok = skip_comment();
    else if (starts("<![CDATA[")) ok = read_cdata(top->text);
    else if (starts("<?")) ok = skip_processing_instruction();
    else if (starts("<!")) ok = fail("a declaration is not allowed inside an element", s_.substr(pos_, 9));
    else ok = read_start_tag(open);
    if (!ok) return std::nullopt;
  }
  if (!skip_misc(false)) return std::nullopt;
  return std::move(holder.elements.front());
}

// Splits "a/b/c" into its parts, empty parts dropped.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

const node* node::child(std::string_view n) const {
  for (const auto& e : elements)
    if (e.name == n) return &e;
  return nullptr;
}

std::vector<const node*> node::children(std::string_view n) const {
  std::vector<const node*> out;
  for (const auto& e : elements)
    if (e.name == n) out.push_back(&e);
  return out;
}

std::string_view node::child_text(std::string_view n) const {
  const node* c = child(n);
  return c != nullptr ? c->trimmed_text() : std::string_view{};
}

std::optional<std::string_view> node::attribute(std::string_view n) const {
  for (const auto& a : attributes)
    if (a.first == n) return std::string_view(a.second);
  return std::nullopt;
}

std::string_view node::trimmed_text() const { return trim(text); }

const node* node::find(std::string_view path) const {
  const node* at = this;
  for (auto part : split_path(path)) {
    at = at->child(part);
    if (at == nullptr) return nullptr;
  }
  return at;
}

std::vector<const node*> node::find_all(std::string_view path) const {
  std::vector<const node*> level{this};
  for (auto part : split_path(path)) {
    std::vector<const node*> next;
    for (const node* n : level)
      for (const auto& e : n->elements)
        if (e.name == part) next.push_back(&e);
    level = std::move(next);
  }
  return level;
}

std::optional<node> parse(std::string_view text, const std::string& file, diagnostics& diags, const limits& lim) {
  return reader(text, file, diags, lim).run();
}

std::string_view root_name(std::string_view text) {
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  // Only the first 64 KiB are looked at: a root behind more comments than that is not detected.
  const std::size_t limit = std::min<std::size_t>(text.size(), 64 * 1024);
  while (pos < limit) {
    char c = text[pos];
    if (is_space(c)) {
      ++pos;
    } else if (text.substr(pos, 4) == "<!--") {
      auto end = text.find("-->", pos + 4);
      if (end == std::string_view::npos) return {};
      pos = end + 3;
    } else if (text.substr(pos, 2) == "<?") {
      auto end = text.find("?>", pos + 2);
      if (end == std::string_view::npos) return {};
      pos = end + 2;
    } else if (c == '<' && pos + 1 < text.size() && is_name_start(static_cast<unsigned char>(text[pos + 1]))) {
      std::size_t start = pos + 1, end = start;
      while (end < text.size() && end - start < 256 && is_name_char(static_cast<unsigned char>(text[end]))) ++end;
      return text.substr(start, end - start);
    } else {
      return {};
    }
  }
  return {};
}

}  // namespace hc::xml
