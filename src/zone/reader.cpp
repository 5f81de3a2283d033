#include "zone/reader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "core/ascii.hpp"
#include "core/dns_text.hpp"
#include "core/handles.hpp"

namespace hc::zone::detail {
namespace {

// ASCII case-insensitive equality (no locale).
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string rdf_text(const ldns_rdf* rdf) {
  c_string_ptr s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

// Adds one parsed ldns record to the builder; false (with a diagnostic) when it cannot be kept.
// Sink: diagnostics, or the fast reader (which holds back all but one diagnostic per $GENERATE).
template <typename Sink>
bool add_ldns_rr(const ldns_rr* rr, zone_builder& out, Sink& diags, const source_location& where) {
  if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
    diags.error(where, "record class is not IN", rr_type_name(ldns_rr_get_type(rr)));
    return false;
  }
  std::string owner = ascii_lower(rdf_text(ldns_rr_owner(rr)));
  if (!out.in_zone(owner)) {
    diags.warning(where, "out-of-zone data ignored", owner);
    return false;
  }
  std::string rdata = canonical_rdata(rr);
  if (!out.add(owner, static_cast<std::uint16_t>(ldns_rr_get_type(rr)), ldns_rr_ttl(rr), rdata)) {
    diags.error(where, "record too long", owner);
    return false;
  }
  return true;
}

// ---- the fast reader ----

struct token {
  std::string_view text;  // without the quotes when quoted
  bool quoted = false;
  bool escaped = false;  // holds a backslash
  std::uint32_t line = 0;
  std::uint32_t col = 0;
};

enum class fast_type { none, a, aaaa, name, mx, srv, txt };

struct fast_type_entry {
  std::string_view name;
  std::uint16_t type;
  fast_type kind;
};
constexpr fast_type_entry fast_types[] = {
    {"A", 1, fast_type::a},          {"AAAA", 28, fast_type::aaaa}, {"NS", 2, fast_type::name},
    {"CNAME", 5, fast_type::name},   {"PTR", 12, fast_type::name},  {"DNAME", 39, fast_type::name},
    {"MX", 15, fast_type::mx},       {"SRV", 33, fast_type::srv},   {"TXT", 16, fast_type::txt},
    {"SPF", 99, fast_type::txt},
};

// Characters that end an unquoted token: blanks, newline, ';', parentheses, '"'; and the backslash,
// which the tokenizer must look at. One table load per character instead of eight compares.
struct char_table {
  bool stop[256] = {};
  constexpr char_table() {
    for (unsigned char c : {' ', '\t', '\r', '\n', ';', '(', ')', '"', '\\'}) stop[c] = true;
  }
};
constexpr char_table token_stops;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '*' || c == '/';
}

// Appends the canonical absolute form of a plain domain name; false when it is not plain
// (escapes, odd characters, empty or long labels): ldns decides those.
bool fast_name(std::string_view t, std::string_view origin, std::string& out) {
  if (t == "@") {
    out += origin;
    return true;
  }
  if (t == ".") {
    out += '.';
    return true;
  }
  std::size_t start = out.size();
  std::size_t label = 0;
  bool upper = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!name_char(c)) return false;
    if (++label > 63) return false;
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  out.append(t);
  if (upper)
    for (std::size_t i = start; i < out.size(); ++i)
      if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] + 32);
  if (t.back() != '.') {
    if (origin != ".") out += '.';
    out += origin;
  }
  if (out.size() - start > 254) return false;
  return true;
}

bool fast_u16(std::string_view t, std::string& out) {
  if (t.empty() || t.size() > 5) return false;
  unsigned v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  char buf[8];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
  return true;
}

// A dotted quad already in inet_ntop's form (no leading zeros, each part at most 255)?
bool plain_ipv4(std::string_view t) {
  int parts = 0;
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t s = i;
    unsigned v = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9' && i - s < 4) v = v * 10 + static_cast<unsigned>(t[i++] - '0');
    std::size_t len = i - s;
    if (len == 0 || len > 3 || v > 255 || (len > 1 && t[s] == '0')) return false;
    ++parts;
    if (i == t.size()) break;
    if (t[i] != '.' || parts == 4) return false;
    ++i;
    if (i == t.size()) return false;
  }
  return parts == 4;
}

bool fast_address(std::string_view t, int family, std::string& out) {
  if (family == AF_INET && plain_ipv4(t)) {
    out.append(t);
    return true;
  }
  char in[64], buf[64];
  unsigned char bin[16];
  if (t.empty() || t.size() >= sizeof in) return false;
  std::memcpy(in, t.data(), t.size());
  in[t.size()] = 0;
  if (::inet_pton(family, in, bin) != 1) return false;
  if (family == AF_INET) {
    // inet_ntop's text, without its printf.
    for (int i = 0; i < 4; ++i) {
      if (i) out += '.';
      unsigned v = bin[i];
      if (v >= 100) out += static_cast<char>('0' + v / 100);
      if (v >= 10) out += static_cast<char>('0' + v / 10 % 10);
      out += static_cast<char>('0' + v % 10);
    }
    return true;
  }
  if (!::inet_ntop(family, bin, buf, sizeof buf)) return false;
  out += buf;
  return true;
}

bool fast_string(const token& t, std::string& out) {
  if (t.escaped || t.text.size() > 255) return false;
  for (char c : t.text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"') return false;
    if (!t.quoted && (u == 0x20 || c == '(' || c == ')' || c == ';')) return false;
  }
  out += '"';
  out += t.text;
  out += '"';
  return true;
}

// Formats the rdata of a fast type; false when any field is not plain.
bool fast_rdata(fast_type kind, const token* f, std::size_t n, std::string_view origin, std::string& out) {
  for (std::size_t i = 0; i < n; ++i)
    if ((f[i].escaped || f[i].quoted) && kind != fast_type::txt) return false;
  switch (kind) {
    case fast_type::a: return n == 1 && fast_address(f[0].text, AF_INET, out);
    case fast_type::aaaa: return n == 1 && fast_address(f[0].text, AF_INET6, out);
    case fast_type::name: return n == 1 && fast_name(f[0].text, origin, out);
    case fast_type::mx:
      if (n != 2 || !fast_u16(f[0].text, out)) return false;
      out += ' ';
      return fast_name(f[1].text, origin, out);
    case fast_type::srv:
      if (n != 4) return false;
      for (int i = 0; i < 3; ++i) {
        if (!fast_u16(f[i].text, out)) return false;
        out += ' ';
      }
      return fast_name(f[3].text, origin, out);
    case fast_type::txt:
      if (n == 0) return false;
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ' ';
        if (!fast_string(f[i], out)) return false;
      }
      return true;
    case fast_type::none: break;
  }
  return false;
}

class fast_reader {
 public:
  fast_reader(std::string_view origin, zone_builder& out, diagnostics& diags)
      : origin_(origin), zone_origin_(origin), out_(out), diags_(diags) {}

  // The diagnostics of the reader. While the records of a $GENERATE are read, only the first is
  // reported and the rest counted (end_generate reports the count): one bad template would
  // otherwise make one error per generated name.
  void error(source_location where, std::string msg, std::string near = {}) {
    emit(true, std::move(where), std::move(msg), std::move(near));
  }
  void warning(source_location where, std::string msg, std::string near = {}) {
    emit(false, std::move(where), std::move(msg), std::move(near));
  }

  void begin_generate() {
    in_generate_ = true;
    generate_shown_ = false;
    generate_held_ = 0;
    generate_held_error_ = false;
  }

  std::uint64_t generate_held() const { return generate_held_; }

  // `not_read`: records of the directive left unread after too many errors.
  void end_generate(const chunk& c, std::uint64_t not_read) {
    in_generate_ = false;
    if (generate_held_ == 0) return;
    std::string msg = fmt::format("... and {} more errors or warnings in the records of this $GENERATE", generate_held_);
    if (not_read > 0) msg += fmt::format("; its other {} records are not read", not_read);
    if (generate_held_error_) diags_.error({*c.file, c.first_line, 0}, std::move(msg));
    else diags_.warning({*c.file, c.first_line, 0}, std::move(msg));
  }

  void read(const chunk& c) {
    chunk_ = &c;
    const char* p = c.text.data();
    const char* end = p + c.text.size();
    line_ = c.first_line;
    const char* last_release = p;
    while (p < end) {
      if (c.mapping && p - last_release > (16 << 20)) {
        c.mapping->release_before(p);
        last_release = p;
      }
      line_start_ = p;
      char ch = *p;
      if (ch == '\n') {
        ++p;
        next_line();
        continue;
      }
      if (ch == '$') {
        p = directive(p, end);
        continue;
      }
      bool has_owner = !(ch == ' ' || ch == '\t' || ch == '\r' || ch == ';');
      record_line_ = line_;
      p = tokenize(p, end);
      if (!bad_ && !toks_.empty()) record(has_owner && ch != '(');
    }
  }

 private:
  void next_line() {
    if (!chunk_->fixed_line) ++line_;
  }

  std::uint32_t col(const char* p) const { return static_cast<std::uint32_t>(p - line_start_ + 1); }

  const char* directive(const char* p, const char* end) {
    const char* e = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!e) e = end;
    std::string_view line(p, static_cast<std::size_t>(e - p));
    if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      std::size_t s = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      if (i > s) parts.push_back(line.substr(s, i - s));
    }
    source_location where{*chunk_->file, line_, 1};
    if (iequals(parts[0], "$ORIGIN") && parts.size() >= 2) {
      // The expander made it absolute; canonical through ldns when not plain.
      std::string o;
      if (fast_name(parts[1], origin_, o)) {
        origin_ = o;
      } else {
        ldns_rdf_ptr r(ldns_dname_new_frm_str(std::string(parts[1]).c_str()));
        if (!r) error(where, "bad $ORIGIN name", std::string(parts[1]));
        else origin_ = ascii_lower(rdf_text(r.get()));
      }
      origin_rdf_.reset();
    } else if (iequals(parts[0], "$TTL") && parts.size() >= 2) {
      auto t = parse_ttl(parts[1]);
      if (!t) error({*chunk_->file, line_, static_cast<std::uint32_t>(parts[1].data() - p + 1)}, "bad $TTL", std::string(parts[1]));
      else if (parts.size() > 2)  // BIND expects the end of the line after the TTL
        error({*chunk_->file, line_, static_cast<std::uint32_t>(parts[2].data() - p + 1)}, "extra text after $TTL",
                     std::string(parts[2]));
      else default_ttl_ = *t;
    } else {
      error(where, "unknown or incomplete directive", std::string(parts[0]));
    }
    if (e < end) {
      next_line();
      return e + 1;
    }
    return e;
  }

  // Reads the tokens of one record (several lines inside parentheses); returns the next line start.
  const char* tokenize(const char* p, const char* end) {
    toks_.clear();
    bad_ = false;
    int depth = 0;
    std::uint32_t open_line = 0, open_col = 0;
    while (p < end) {
      char c = *p;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p;
        continue;
      }
      if (c == '\n') {
        ++p;
        next_line();
        if (depth == 0) return p;
        line_start_ = p;
        continue;
      }
      if (c == ';') {
        const char* e = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        p = e ? e : end;
        continue;
      }
      if (c == '(') {
        if (depth++ == 0) {
          open_line = line_;
          open_col = col(p);
        }
        ++p;
        continue;
      }
      if (c == ')') {
        if (depth == 0) {
          error_at(line_, col(p), "unbalanced ')'", ")");
          bad_ = true;
        } else {
          --depth;
        }
        ++p;
        continue;
      }
      token t;
      t.line = line_;
      t.col = col(p);
      if (c == '"') {
        const char* s = ++p;
        while (p < end && *p != '"' && *p != '\n') {
          if (*p == '\\') {
            t.escaped = true;
            if (p + 1 < end && p[1] != '\n') ++p;
          }
          ++p;
        }
        if (p >= end || *p != '"') {
          // The string's start at most (diagnostics cut and escape it, or describe it in a file
          // reached through $INCLUDE).
          error_at(t.line, t.col, "unterminated quoted string",
                   std::string(s - 1, std::min<std::size_t>(static_cast<std::size_t>(p - s + 1), max_quoted + 1)));
          bad_ = true;
          continue;
        }
        t.text = std::string_view(s, static_cast<std::size_t>(p - s));
        t.quoted = true;
        ++p;
      } else {
        const char* s = p;
        while (p < end) {
          char d = *p;
          if (!token_stops.stop[static_cast<unsigned char>(d)]) {
            ++p;
            continue;
          }
          if (d != '\\') break;
          t.escaped = true;
          if (p + 1 < end && p[1] != '\n') ++p;
          ++p;
        }
        t.text = std::string_view(s, static_cast<std::size_t>(p - s));
      }
      toks_.push_back(t);
    }
    if (depth > 0) {
      error_at(open_line, open_col, "unbalanced '(': record not closed", "(");
      bad_ = true;
    }
    return p;
  }

  void error_at(std::uint32_t line, std::uint32_t column, std::string msg, std::string near) {
    error({*chunk_->file, line, chunk_->fixed_line ? 0 : column}, std::move(msg), std::move(near));
  }

  void emit(bool is_error, source_location where, std::string msg, std::string near) {
    if (in_generate_) {
      if (generate_shown_) {
        ++generate_held_;
        generate_held_error_ = generate_held_error_ || is_error;
        return;
      }
      generate_shown_ = true;
    }
    if (is_error) diags_.error(std::move(where), std::move(msg), std::move(near));
    else diags_.warning(std::move(where), std::move(msg), std::move(near));
  }

  const ldns_rdf* origin_rdf() {
    if (!origin_rdf_) origin_rdf_.reset(ldns_dname_new_frm_str(origin_.c_str()));
    return origin_rdf_.get();
  }

  void record(bool has_owner) {
    const token* f = toks_.data();
    std::size_t n = toks_.size();
    owner_.clear();
    bool fast = true;
    if (has_owner) {
      if (f[0].quoted || f[0].escaped || !fast_name(f[0].text, origin_, owner_)) fast = false;
      ++f;
      --n;
    } else {
      owner_ = prev_owner_.empty() ? origin_ : prev_owner_;
    }
    if (n == 0) {
      error_at(toks_[0].line, toks_[0].col, "record without a type", std::string(toks_[0].text));
      return;
    }
    std::size_t i = 0;
    std::uint32_t ttl = default_ttl_ ? default_ttl_ : 3600;
    fast_type kind = fast_type::none;
    std::uint16_t type = 0;
    if (fast) {
      if (i < n && !f[i].quoted && !f[i].text.empty() && f[i].text[0] >= '0' && f[i].text[0] <= '9') {
        auto t = parse_ttl(f[i].text);
        if (t) ttl = *t;
        else fast = false;
        ++i;
      }
      if (i < n && !f[i].quoted && iequals(f[i].text, "IN")) {
        ++i;
        // BIND also takes the class before the TTL ("IN 60 A ..."); ldns does not.
        if (i == 1 && i < n && !f[i].quoted && !f[i].text.empty() && f[i].text[0] >= '0' && f[i].text[0] <= '9') {
          auto t = parse_ttl(f[i].text);
          if (t) ttl = *t;
          else fast = false;
          ++i;
        }
      }
      if (i < n && !f[i].quoted) {
        for (const auto& e : fast_types)
          if (iequals(f[i].text, e.name)) {
            kind = e.kind;
            type = e.type;
            break;
          }
      }
      if (kind == fast_type::none) fast = false;
    }
    if (fast) {
      rdata_.clear();
      if (fast_rdata(kind, f + i + 1, n - i - 1, origin_, rdata_)) {
        if (!out_.in_zone(owner_)) {
          warning({*chunk_->file, toks_[0].line, chunk_->fixed_line ? 0 : toks_[0].col}, "out-of-zone data ignored", owner_);
          prev_owner_ = owner_;
          return;
        }
        if (!out_.add(owner_, type, ttl, rdata_)) {
          error_at(toks_[0].line, toks_[0].col, "record too long", owner_);
          return;
        }
        prev_owner_ = owner_;
        return;
      }
    }
    slow(has_owner);
  }

  // Hands one record to ldns, rebuilt as a one-line text.
  void slow(bool has_owner) {
    std::string line;
    auto append = [&line](const token& t) {
      if (!line.empty()) line += ' ';
      if (t.quoted) line += '"';
      line += t.text;
      if (t.quoted) line += '"';
    };
    std::size_t first = 0;
    if (has_owner) {
      append(toks_[0]);
      first = 1;
    } else {
      line = prev_owner_.empty() ? origin_ : prev_owner_;
    }
    // ldns wants the TTL before the class: swap "IN 60" as BIND reads it.
    std::vector<token> fields(toks_.begin() + static_cast<std::ptrdiff_t>(first), toks_.end());
    if (fields.size() > 2 && !fields[0].quoted && iequals(fields[0].text, "IN") && !fields[1].quoted &&
        !fields[1].text.empty() && fields[1].text[0] >= '0' && fields[1].text[0] <= '9')
      std::swap(fields[0], fields[1]);
    for (const auto& t : fields) append(t);
    ldns_rr* raw = nullptr;
    ldns_status s = ldns_rr_new_frm_str(&raw, line.c_str(), default_ttl_, const_cast<ldns_rdf*>(origin_rdf()), nullptr);
    ldns_rr_ptr rr(raw);
    const token& at = toks_[0];
    if (s != LDNS_STATUS_OK || !rr) {
      // ldns does not say which field it refused: name the first field of the data (after the
      // type), else the type, else the owner. Never the whole line.
      const token* near = &at;
      std::size_t k = first;
      while (k < toks_.size() && !toks_[k].quoted && !toks_[k].text.empty() &&
             ((toks_[k].text[0] >= '0' && toks_[k].text[0] <= '9') || iequals(toks_[k].text, "IN")))
        ++k;
      if (k < toks_.size()) {
        bool bad_type = s == LDNS_STATUS_SYNTAX_TYPE_ERR || toks_[k].quoted || type_from_name(toks_[k].text) == 0;
        near = &toks_[k + 1 < toks_.size() && !bad_type ? k + 1 : k];
      }
      error_at(near->line, near->col, ldns_get_errorstr_by_id(s), std::string(near->text));
      return;
    }
    add_ldns_rr(rr.get(), out_, *this, {*chunk_->file, at.line, chunk_->fixed_line ? 0 : at.col});
    prev_owner_ = ascii_lower(rdf_text(ldns_rr_owner(rr.get())));
  }

  std::string origin_;
  std::string zone_origin_;
  ldns_rdf_ptr origin_rdf_;
  std::uint32_t default_ttl_ = 0;
  std::string prev_owner_;
  std::string owner_, rdata_;
  std::vector<token> toks_;
  bool bad_ = false;
  zone_builder& out_;
  diagnostics& diags_;
  const chunk* chunk_ = nullptr;
  std::uint32_t line_ = 1, record_line_ = 1;
  const char* line_start_ = nullptr;
  bool in_generate_ = false, generate_shown_ = false, generate_held_error_ = false;
  std::uint64_t generate_held_ = 0;
};

}  // namespace

void read_fast(const zone_source& src, std::string_view origin, zone_builder& out, diagnostics& diags) {
  fast_reader r(origin, out, diags);
  std::string batch;
  for (const auto& c : src.chunks) {
    if (!c.generate) {
      r.read(c);
      continue;
    }
    // The records of a $GENERATE, a few thousand lines of text at a time. Once a batch has held
    // back many errors, the template is bad for most values: the rest is not read (each refused
    // record costs a trip through ldns).
    constexpr std::uint64_t lines_per_batch = 4096;
    r.begin_generate();
    const std::uint64_t n = c.generate->count();
    std::uint64_t i = 0;
    while (i < n && r.generate_held() < lines_per_batch / 4) {
      std::uint64_t k = std::min(lines_per_batch, n - i);
      batch.clear();
      c.generate->lines(i, k, batch);
      chunk part{batch, c.file, c.first_line, nullptr, true};
      r.read(part);
      i += k;
    }
    r.end_generate(c, n - i);
  }
}

void read_ldns(const zone_source& src, std::string_view origin, zone_builder& out, diagnostics& diags) {
  // One text, and where each of its lines came from.
  struct span {
    std::uint32_t first;  // first line in the joined text
    const chunk* c;
  };
  std::string all;
  all.reserve(src.bytes);
  std::vector<span> spans;
  std::uint32_t line = 1;
  for (const auto& c : src.chunks) {
    spans.push_back({line, &c});
    std::size_t from = all.size();
    if (c.generate) c.generate->lines(0, c.generate->count(), all);
    else all += c.text;
    line += static_cast<std::uint32_t>(std::count(all.begin() + static_cast<std::ptrdiff_t>(from), all.end(), '\n'));
  }
  auto where = [&spans](int l) -> source_location {
    auto it = std::upper_bound(spans.begin(), spans.end(), static_cast<std::uint32_t>(l),
                               [](std::uint32_t v, const span& s) { return v < s.first; });
    if (it == spans.begin()) return {};
    --it;
    std::uint32_t fl = it->c->fixed_line ? it->c->first_line : it->c->first_line + (static_cast<std::uint32_t>(l) - it->first);
    return {*it->c->file, fl, 0};
  };
  if (all.empty()) return;
  FILE* fp = ::fmemopen(all.data(), all.size(), "r");
  if (!fp) {
    diags.error({}, "cannot read zone text (fmemopen)");
    return;
  }
  ldns_rdf* org = ldns_dname_new_frm_str(std::string(origin).c_str());
  ldns_rdf* prev = nullptr;
  std::uint32_t ttl = 0;
  int line_nr = 0;
  while (!std::feof(fp)) {
    ldns_rr* raw = nullptr;
    int before = line_nr;
    ldns_status s = ldns_rr_new_frm_fp_l(&raw, fp, &ttl, &org, &prev, &line_nr);
    ldns_rr_ptr rr(s == LDNS_STATUS_OK ? raw : nullptr);
    if (s == LDNS_STATUS_OK) {
      add_ldns_rr(rr.get(), out, diags, where(line_nr));
    } else if (s != LDNS_STATUS_SYNTAX_EMPTY && s != LDNS_STATUS_SYNTAX_TTL && s != LDNS_STATUS_SYNTAX_ORIGIN) {
      if (std::feof(fp) && line_nr == before) break;
      diags.error(where(line_nr), ldns_get_errorstr_by_id(s));
    }
  }
  std::fclose(fp);
  ldns_rdf_ptr free_origin(org), free_prev(prev);
}

}  // namespace hc::zone::detail
