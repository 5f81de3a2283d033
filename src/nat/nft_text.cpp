// Reader for `nft list ruleset` text (and files for `nft -f` written in the same shape). Each table,
// chain, set and rule is translated into the JSON object `nft -j list ruleset` gives for it, and the
// JSON reader reads the result: both formats give the same model, the same unknown matches and the
// same findings. Every generated JSON line remembers the text position it came from, so rules and
// diagnostics name the text file's line and column.

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

#include "nat/detail.hpp"
#include "nat/nat.hpp"
#include "nat/nft_text.hpp"

namespace hc::nat {
namespace {

using json = nlohmann::ordered_json;

// Invalid UTF-8 in the text must not throw: it is replaced, and the JSON reader names the token.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

enum class tok { word, string, open, close, comma, semicolon, newline, end };

struct token {
  tok kind = tok::end;
  std::string text;
  std::uint32_t line = 0, column = 0;
};

// Anonymous sets nest (a set of concatenations), nothing deeper is meaningful.
constexpr int max_brace_depth = 16;

// Splits the text into words, quoted strings, braces, commas, semicolons and line ends. A '#' at
// the start of a token begins a comment; "# handle N" (nft -a) becomes the words "#handle" "N".
std::vector<token> lex(std::string_view text) {
  std::vector<token> out;
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  auto col = [&](std::size_t at) { return static_cast<std::uint32_t>(at - line_start + 1); };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      out.push_back({tok::newline, "\n", line, col(i)});
      ++line;
      line_start = ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    if (c == '#') {
      std::size_t end = text.find('\n', i);
      if (end == std::string_view::npos) end = text.size();
      std::string_view body = text.substr(i + 1, end - i - 1);
      auto first = body.find_first_not_of(" \t");
      if (first != std::string_view::npos && body.substr(first, 7) == "handle ") {
        auto num = body.substr(first + 7);
        auto stop = num.find_first_of(" \t\r");
        out.push_back({tok::word, "#handle", line, col(i)});
        out.push_back({tok::word, std::string(num.substr(0, stop)), line, col(i) + 8});
      }
      i = end;
      continue;
    }
    if (c == '"') {
      std::size_t j = i + 1;
      std::string s;
      while (j < text.size() && text[j] != '"' && text[j] != '\n') {
        if (text[j] == '\\' && j + 1 < text.size() && text[j + 1] != '\n') ++j;
        s += text[j++];
      }
      token t{tok::string, std::move(s), line, col(i)};
      if (j >= text.size() || text[j] != '"') t.kind = tok::word, t.text = "\"";  // unterminated: a stray quote
      out.push_back(std::move(t));
      i = j < text.size() && text[j] == '"' ? j + 1 : j;
      continue;
    }
    if (c == '{' || c == '}' || c == ',' || c == ';') {
      out.push_back({c == '{' ? tok::open : c == '}' ? tok::close : c == ',' ? tok::comma : tok::semicolon,
                     std::string(1, c), line, col(i)});
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && std::string_view(" \t\r\n\f\v{},;\"").find(text[j]) == std::string_view::npos) ++j;
    out.push_back({tok::word, std::string(text.substr(i, j - i)), line, col(i)});
    i = j;
  }
  out.push_back({tok::end, "", line, col(i)});
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A number as nft -j writes it, when the word is one (decimal or 0x hex).
std::optional<std::uint64_t> number_of(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2), base = 16;
  if (s.empty() || (base == 10 && !all_digits(s))) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// One value as nft -j writes it: a number, a prefix {"prefix": ...}, a range {"range": [a, b]} or a string.
json value_of(const token& t) {
  if (t.kind == tok::string) return t.text;
  const std::string& s = t.text;
  if (auto n = number_of(s)) return *n;
  if (auto slash = s.find('/'); slash != std::string::npos && all_digits(s.substr(slash + 1)) &&
                                ip_address::parse(s.substr(0, slash))) {
    unsigned len = 0;
    std::from_chars(s.data() + slash + 1, s.data() + s.size(), len);
    return json{{"prefix", {{"addr", s.substr(0, slash)}, {"len", len}}}};
  }
  if (auto dash = s.find('-'); dash != std::string::npos && dash > 0 && dash + 1 < s.size()) {
    auto lo = s.substr(0, dash), hi = s.substr(dash + 1);
    auto nlo = number_of(lo), nhi = number_of(hi);
    if (nlo && nhi) return json{{"range", {*nlo, *nhi}}};
    if (ip_address::parse(lo) && ip_address::parse(hi)) return json{{"range", {lo, hi}}};
  }
  return s;
}

// Words that begin a statement (not a match): an unknown expression stops before them.
bool statement_word(std::string_view w) {
  static constexpr std::string_view words[] = {"accept", "drop",   "reject",     "return", "continue", "jump",
                                               "goto",   "counter", "log",       "comment", "dnat",    "snat",
                                               "masquerade", "redirect", "notrack", "queue", "#handle"};
  return std::find(std::begin(words), std::end(words), w) != std::end(words);
}

// Payload protocols: "ip daddr", "tcp dport", ...
bool payload_protocol(std::string_view w) {
  static constexpr std::string_view words[] = {"ip",   "ip6",  "tcp",  "udp",  "th",    "sctp",   "icmp",  "icmpv6",
                                               "ether", "vlan", "arp", "udplite", "dccp", "ah", "esp", "comp", "igmp"};
  return std::find(std::begin(words), std::end(words), w) != std::end(words);
}

// Meta keys nft lists without the "meta" word.
bool bare_meta(std::string_view w) {
  static constexpr std::string_view words[] = {"iifname", "oifname", "iif",      "oif",   "iiftype", "oiftype",
                                               "iifgroup", "oifgroup", "skuid", "skgid", "pkttype", "cpu",
                                               "cgroup",  "rtclassid", "mark"};
  return std::find(std::begin(words), std::end(words), w) != std::end(words);
}

struct json_line {
  std::string text;
  source_location where;
};

class text_reader {
 public:
  text_reader(std::string_view text, const std::string& file, diagnostics& diags)
      : toks_(lex(text)), file_(file), diags_(diags) {}

  // The nft -j document, one JSON value per line, and the text position of every line.
  std::vector<json_line> run() {
    emit_line("{\"nftables\": [", {file_, 1, 1});
    while (peek().kind != tok::end) {
      skip_blank();
      if (peek().kind == tok::end) break;
      const token& t = peek();
      if (t.kind == tok::word && t.text == "table") {
        read_table();
      } else if (t.kind == tok::word && t.text == "flush") {
        skip_statement();  // "flush ruleset" at the top of a file for nft -f
      } else {
        error(t, "expected 'table' (give the output of `nft list ruleset`)");
        skip_statement_or_block();
      }
    }
    // The JSON reader wants no trailing comma: close with an item it ignores.
    emit_line("{\"metainfo\": {\"source\": \"nft list ruleset\"}}", {file_, 1, 1});
    emit_line("]}", {file_, 1, 1});
    return std::move(lines_);
  }

 private:
  const token& peek(std::size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
  const token& next() {
    const token& t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool at_word(std::string_view w) const { return peek().kind == tok::word && peek().text == w; }
  void skip_blank() {
    while (peek().kind == tok::newline || peek().kind == tok::semicolon) next();
  }

  source_location at(const token& t) const { return {file_, t.line, t.column}; }
  void error(const token& t, const std::string& message) {
    std::string near = t.kind == tok::newline ? std::string() : t.kind == tok::end ? std::string() : t.text;
    diags_.error(at(t), message, near);
  }

  void emit_line(std::string text, source_location where) { lines_.push_back({std::move(text), std::move(where)}); }
  void emit_item(const char* kind, const json& body, const token& t) {
    emit_line(dump(json{{kind, body}}) + ",", at(t));
  }

  // Skips to the end of the line, over balanced braces.
  void skip_statement() {
    int depth = 0;
    while (peek().kind != tok::end) {
      const token& t = next();
      if (t.kind == tok::open) ++depth;
      else if (t.kind == tok::close && depth > 0 && --depth == 0) continue;
      else if ((t.kind == tok::newline || t.kind == tok::semicolon) && depth == 0) return;
    }
  }
  void skip_statement_or_block() { skip_statement(); }

  // The tokens of one statement: up to a line end or ';' outside braces, or a '}' that closes the
  // enclosing block (left unread). Braces inside must balance.
  std::vector<token> statement(bool& bad) {
    std::vector<token> out;
    int depth = 0;
    bad = false;
    while (true) {
      const token& t = peek();
      if (t.kind == tok::end) {
        if (depth > 0) error(t, "unbalanced '{' in the rule"), bad = true;
        return out;
      }
      if (depth == 0 && t.kind == tok::close) return out;
      next();
      if (t.kind == tok::newline && depth > 0) continue;  // elements listed over several lines
      if (depth == 0 && (t.kind == tok::newline || t.kind == tok::semicolon)) return out;
      if (t.kind == tok::open && ++depth > max_brace_depth) {
        error(t, "sets nested too deeply");
        bad = true;
      }
      if (t.kind == tok::close) --depth;
      out.push_back(t);
    }
  }

  // "table FAMILY NAME {" ... "}"
  void read_table() {
    const token& kw = next();
    token family = next(), name = next();
    if (family.kind != tok::word || name.kind != tok::word) {
      error(family.kind == tok::word ? name : family, "table without family or name");
      return skip_statement();
    }
    if (peek().kind != tok::open) {
      error(peek(), "expected '{' after the table's name");
      return skip_statement();
    }
    next();
    family_ = family.text;
    table_ = name.text;
    emit_item("table", json{{"family", family_}, {"name", table_}}, kw);
    while (true) {
      skip_blank();
      const token& t = peek();
      if (t.kind == tok::end) return error(t, "table '" + table_ + "' is not closed by '}'");
      if (t.kind == tok::close) {
        next();
        return;
      }
      if (t.kind == tok::word && t.text == "chain") read_chain();
      else if (t.kind == tok::word && (t.text == "set" || t.text == "map")) read_set();
      else skip_item();  // flags, flowtable, counter, quota, ct helper, ...: nothing the simulator uses
    }
  }

  // A line or a named block ("flowtable f { ... }") the simulator has no use for.
  void skip_item() {
    int depth = 0;
    while (peek().kind != tok::end) {
      const token& t = peek();
      if (t.kind == tok::close && depth == 0) return;
      next();
      if (t.kind == tok::open) ++depth;
      else if (t.kind == tok::close && --depth == 0) return;
      else if (depth == 0 && (t.kind == tok::newline || t.kind == tok::semicolon)) return;
    }
  }

  void read_chain() {
    const token& kw = next();
    token name = next();
    if (name.kind != tok::word && name.kind != tok::string) {
      error(name, "chain without a name");
      return skip_item();
    }
    if (peek().kind != tok::open) {
      error(peek(), "expected '{' after the chain's name");
      return skip_statement();
    }
    next();
    json c = {{"family", family_}, {"table", table_}, {"name", name.text}};
    std::size_t chain_line = lines_.size();
    emit_item("chain", c, kw);
    chain_ = name.text;
    while (true) {
      skip_blank();
      const token& t = peek();
      if (t.kind == tok::end) return error(t, "chain '" + chain_ + "' is not closed by '}'");
      if (t.kind == tok::close) {
        next();
        break;
      }
      bool bad = false;
      auto st = statement(bad);
      if (st.empty() || bad) continue;
      const std::string& w = st[0].text;
      if (st[0].kind == tok::word && w == "type") read_hook(st, c);
      else if (st[0].kind == tok::word && w == "policy") {
        if (st.size() < 2) error(st[0], "policy without a verdict");
        else c["policy"] = st[1].text;
      } else if (st[0].kind == tok::word && (w == "comment" || w == "devices" || w == "device")) {
        continue;
      } else {
        read_rule(st);
      }
    }
    lines_[chain_line].text = dump(json{{"chain", c}}) + ",";
  }

  // "type nat hook prerouting [device eth0] priority dstnat [+|- N]"
  void read_hook(const std::vector<token>& st, json& c) {
    if (st.size() < 2) return error(st[0], "chain type without a value");
    c["type"] = st[1].text;
    for (std::size_t i = 2; i < st.size(); ++i) {
      const std::string& w = st[i].text;
      if (w == "hook" && i + 1 < st.size()) c["hook"] = st[++i].text;
      else if (w == "device" && i + 1 < st.size()) ++i;
      else if (w == "priority" && i + 1 < st.size()) {
        const token& p = st[++i];
        static const std::map<std::string, int> names = {{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
                                                         {"filter", 0}, {"security", 50}, {"srcnat", 100}};
        std::optional<int> base;
        int sign = 1;
        std::string_view pw = p.text;
        if (!pw.empty() && pw[0] == '-') sign = -1, pw.remove_prefix(1);
        if (auto n = number_of(pw); n && *n <= 100000) base = sign * static_cast<int>(*n);
        else if (auto it = names.find(p.text); it != names.end()) base = it->second;
        if (!base) {
          c["prio"] = p.text;  // the JSON reader names it as an unknown priority
          continue;
        }
        if (i + 2 < st.size() && (st[i + 1].text == "+" || st[i + 1].text == "-")) {
          auto n = number_of(st[i + 2].text);
          if (!n || *n > 100000) {
            error(st[i + 2], "chain priority offset is not a number");
            return;
          }
          *base += (st[i + 1].text == "+" ? 1 : -1) * static_cast<int>(*n);
          i += 2;
        }
        c["prio"] = *base;
      } else if (w == "policy" && i + 1 < st.size()) {
        c["policy"] = st[++i].text;
      }
    }
  }

  // "set NAME { type ...; flags ...; elements = { ... } }"; a map's elements are [key, value] pairs.
  void read_set() {
    const token& kw = next();
    bool is_map = kw.text == "map";
    token name = next();
    if (name.kind != tok::word || peek().kind != tok::open) {
      error(name, std::string(is_map ? "map" : "set") + " without a name and '{'");
      return skip_item();
    }
    next();
    json s = {{"family", family_}, {"name", name.text}, {"table", table_}};
    while (true) {
      skip_blank();
      const token& t = peek();
      if (t.kind == tok::end) return error(t, "set '" + name.text + "' is not closed by '}'");
      if (t.kind == tok::close) {
        next();
        break;
      }
      bool bad = false;
      auto st = statement(bad);
      if (st.empty() || bad) continue;
      if (st[0].text == "elements" && st.size() >= 3 && st[1].text == "=" && st[2].kind == tok::open) {
        std::size_t i = 2;
        json els;
        if (!set_elements(st, i, els, is_map)) continue;
        s["elem"] = els["set"];
      }
    }
    emit_item(is_map ? "map" : "set", s, kw);
  }

  // --- rules ---

  // Reads "{ a, b . c, d : accept, ... }" starting at st[i] == '{'; i ends after the '}'.
  bool set_elements(const std::vector<token>& st, std::size_t& i, json& out, bool pairs_allowed) {
    const token& open = st[i++];
    json arr = json::array();
    while (i < st.size() && st[i].kind != tok::close) {
      if (st[i].kind == tok::comma) {
        ++i;
        continue;
      }
      json key;
      if (!concat_value(st, i, key)) return false;
      // Element attributes (counter, timeout, expires, comment) end at the next ',' or '}'.
      json val;
      bool has_val = false;
      if (i < st.size() && st[i].kind == tok::word && st[i].text == ":" && pairs_allowed) {
        ++i;
        if (i >= st.size() || st[i].kind == tok::close || st[i].kind == tok::comma) {
          error(st[i - 1], "map element without a value");
          return false;
        }
        if (st[i].kind == tok::word && (st[i].text == "jump" || st[i].text == "goto") && i + 1 < st.size()) {
          val = json{{st[i].text, {{"target", st[i + 1].text}}}};
          i += 2;
        } else if (st[i].kind == tok::word && (st[i].text == "accept" || st[i].text == "drop" ||
                                                st[i].text == "return" || st[i].text == "continue")) {
          val = json{{st[i].text, nullptr}};
          ++i;
        } else if (!concat_value(st, i, val)) {
          return false;
        }
        has_val = true;
      } else if (i < st.size() && st[i].kind == tok::word && st[i].text == ":") {
        error(st[i], "':' in a set that is not a map");
        return false;
      }
      int depth = 0;
      while (i < st.size() && !(depth == 0 && (st[i].kind == tok::comma || st[i].kind == tok::close))) {
        if (st[i].kind == tok::open) ++depth;
        if (st[i].kind == tok::close) --depth;
        ++i;
      }
      arr.push_back(has_val ? json::array({key, val}) : key);
      if (arr.size() > 100000) {
        error(open, "set with too many elements");
        return false;
      }
    }
    if (i >= st.size()) {
      error(open, "set without its closing '}'");
      return false;
    }
    ++i;  // '}'
    out = json{{"set", arr}};
    return true;
  }

  // One value or a concatenation "a . b" (a nested anonymous set is kept as a set).
  bool concat_value(const std::vector<token>& st, std::size_t& i, json& out) {
    std::vector<json> parts;
    while (true) {
      if (i >= st.size()) {
        error(st.back(), "value missing");
        return false;
      }
      if (st[i].kind == tok::open) {
        json inner;
        if (!set_elements(st, i, inner, false)) return false;
        parts.push_back(inner);
      } else if (st[i].kind == tok::word || st[i].kind == tok::string) {
        parts.push_back(value_of(st[i++]));
      } else {
        error(st[i], "unexpected token in a set");
        return false;
      }
      if (i < st.size() && st[i].kind == tok::word && st[i].text == ".") {
        ++i;
        continue;
      }
      break;
    }
    out = parts.size() == 1 ? parts[0] : json{{"concat", parts}};
    return true;
  }

  // One expression's left side: payload, meta, ct, fib; nullopt when not one of those.
  std::optional<json> lhs_single(const std::vector<token>& st, std::size_t& i) {
    if (i >= st.size() || st[i].kind != tok::word) return std::nullopt;
    const std::string& w = st[i].text;
    auto word_at = [&](std::size_t k) { return k < st.size() && st[k].kind == tok::word; };
    if ((w == "tcp" || w == "ip") && word_at(i + 1) && st[i + 1].text == "option" && word_at(i + 2)) {
      // An option header field: "tcp option maxseg size" (a field) or "tcp option sack-perm" (presence).
      json o = {{"name", st[i + 2].text}};
      i += 3;
      if (word_at(i) && (st[i].text == "size" || st[i].text == "kind" || st[i].text == "length" ||
                         st[i].text == "type" || st[i].text == "value"))
        o["field"] = st[i++].text;
      return json{{w + " option", o}};
    }
    if (payload_protocol(w) && word_at(i + 1) && !statement_word(st[i + 1].text)) {
      json p = {{"payload", {{"protocol", w}, {"field", st[i + 1].text}}}};
      i += 2;
      return p;
    }
    if (w == "meta" && word_at(i + 1)) {
      json m = {{"meta", {{"key", st[i + 1].text}}}};
      i += 2;
      return m;
    }
    if (bare_meta(w)) {
      ++i;
      return json{{"meta", {{"key", w}}}};
    }
    if (w == "ct" && word_at(i + 1)) {
      json ct = json::object();
      std::size_t k = i + 1;
      if (st[k].text == "original" || st[k].text == "reply") ct["dir"] = st[k++].text;
      if (word_at(k) && (st[k].text == "ip" || st[k].text == "ip6") && word_at(k + 1)) ct["family"] = st[k++].text;
      if (!word_at(k)) return std::nullopt;
      ct["key"] = st[k].text;
      i = k + 1;
      return json{{"ct", ct}};
    }
    if (w == "fib") {
      json flags = json::array();
      std::size_t k = i + 1;
      while (word_at(k) && word_at(k + 1) && st[k + 1].text == ".") flags.push_back(st[k].text), k += 2;
      if (!word_at(k) || !word_at(k + 1)) return std::nullopt;
      flags.push_back(st[k].text);
      json f = {{"fib", {{"result", st[k + 1].text}, {"flags", flags}}}};
      i = k + 2;
      return f;
    }
    return std::nullopt;
  }

  // "lhs [. lhs ...]"
  std::optional<json> lhs(const std::vector<token>& st, std::size_t& i) {
    std::size_t save = i;
    auto first = lhs_single(st, i);
    if (!first) return std::nullopt;
    std::vector<json> parts{*first};
    while (i + 1 < st.size() && st[i].kind == tok::word && st[i].text == ".") {
      std::size_t k = i + 1;
      auto more = lhs_single(st, k);
      if (!more) {
        i = save;
        return std::nullopt;
      }
      parts.push_back(*more);
      i = k;
    }
    return parts.size() == 1 ? parts[0] : json{{"concat", parts}};
  }

  // The words of an expression the translation does not know, up to the next statement.
  std::string unknown_words(const std::vector<token>& st, std::size_t& i) {
    std::string words;
    int depth = 0;
    while (i < st.size()) {
      const token& t = st[i];
      if (depth == 0 && t.kind == tok::word && statement_word(t.text) && !words.empty()) break;
      if (t.kind == tok::open) ++depth;
      if (t.kind == tok::close) --depth;
      words += (words.empty() || t.kind == tok::comma ? "" : " ") +
               (t.kind == tok::string ? "\"" + t.text + "\"" : t.text);
      ++i;
    }
    return words;
  }

  // "to ADDR[:PORT]", "to :PORT", "to [v6]:PORT", "to A-B", "to ... map { }"
  bool nat_statement(const std::vector<token>& st, std::size_t& i, json& out) {
    const token& kw = st[i++];
    json body = json::object();
    if (i < st.size() && (st[i].text == "ip" || st[i].text == "ip6") && i + 1 < st.size() && st[i + 1].text == "to")
      body["family"] = st[i++].text;
    if (i < st.size() && st[i].kind == tok::word && st[i].text == "to") {
      ++i;
      if (i >= st.size() || st[i].kind != tok::word) {
        error(i < st.size() ? st[i] : kw, kw.text + " to what?");
        return false;
      }
      std::string v = st[i].text;
      if (lhs_single(st, i)) {
        // "dnat to ip daddr map { ... }": the target depends on the packet.
        std::size_t k = i;
        body["addr"] = json{{"map", kw.text + " to " + unknown_words(st, k)}};
        i = k;
      } else {
        ++i;
        std::string addr = v, port;
        if (!v.empty() && v[0] == '[') {
          auto close = v.find(']');
          if (close == std::string::npos) {
            error(st[i - 1], "'[' without ']' in the address");
            return false;
          }
          addr = v.substr(1, close - 1);
          if (close + 1 < v.size() && v[close + 1] == ':') port = v.substr(close + 2);
        } else if (auto c = v.find(':'); c != std::string::npos && v.find(':', c + 1) == std::string::npos) {
          addr = v.substr(0, c);
          port = v.substr(c + 1);
        }
        if (!addr.empty()) body["addr"] = value_of({tok::word, addr, 0, 0});
        if (!port.empty()) {
          if (!detail::parse_port_range(port, '-')) {
            error(st[i - 1], "not a port or port range after ':'");
            return false;
          }
          body["port"] = value_of({tok::word, port, 0, 0});
        }
        if (v.find(':') != std::string::npos && port.empty() && addr == v && !ip_address::parse(addr) &&
            addr.find('-') == std::string::npos) {
          body["addr"] = addr;  // neither an address nor address:port: the JSON reader names it
        }
      }
    }
    // Flags: persistent, random, fully-random (comma separated).
    while (i < st.size() && (st[i].kind == tok::comma ||
                             (st[i].kind == tok::word && (st[i].text == "persistent" || st[i].text == "random" ||
                                                          st[i].text == "fully-random"))))
      ++i;
    out = json{{kw.text, body.empty() ? json(nullptr) : body}};
    return true;
  }

  // One rule: the expressions in order, each on a JSON line of its own.
  void read_rule(std::vector<token> st) {
    std::uint64_t handle = 0;
    if (st.size() >= 2 && st[st.size() - 2].text == "#handle") {
      if (auto n = number_of(st.back().text)) handle = *n;
      st.resize(st.size() - 2);
    }
    if (st.empty()) return;
    json rule = {{"family", family_}, {"table", table_}, {"chain", chain_}};
    if (handle) rule["handle"] = handle;
    std::vector<std::pair<json, const token*>> exprs;
    std::size_t i = 0;
    while (i < st.size()) {
      const token& t = st[i];
      std::size_t start = i;
      json e;
      if (t.kind != tok::word) {
        error(t, "unexpected token in a rule");
        return;
      }
      const std::string& w = t.text;
      if (w == "accept" || w == "drop" || w == "return" || w == "continue") {
        e = json{{w, nullptr}};
        ++i;
      } else if (w == "reject") {
        ++i;
        // "with tcp reset", "with icmp admin-prohibited", "with icmpx type port-unreachable"
        if (i < st.size() && st[i].text == "with") {
          ++i;
          bool tcp = i < st.size() && st[i].text == "tcp";
          if (i < st.size()) ++i;
          if (!tcp && i < st.size() && st[i].text == "type") ++i;
          if (i < st.size() && !statement_word(st[i].text)) ++i;
        }
        e = json{{"reject", nullptr}};
      } else if (w == "jump" || w == "goto") {
        if (i + 1 >= st.size() || (st[i + 1].kind != tok::word && st[i + 1].kind != tok::string)) {
          error(t, w + " without a chain");
          return;
        }
        e = json{{w, {{"target", st[i + 1].text}}}};
        i += 2;
      } else if (w == "counter") {
        ++i;
        json c = json::object();
        while (i + 1 < st.size() && (st[i].text == "packets" || st[i].text == "bytes") && number_of(st[i + 1].text))
          c[st[i].text] = *number_of(st[i + 1].text), i += 2;
        if (i + 1 < st.size() && st[i].text == "name") c["name"] = st[i + 1].text, i += 2;
        e = json{{"counter", c}};
      } else if (w == "log") {
        ++i;
        json l = json::object();
        static constexpr std::string_view keys[] = {"prefix", "level", "group", "snaplen", "queue-threshold", "flags"};
        while (i + 1 < st.size() && std::find(std::begin(keys), std::end(keys), st[i].text) != std::end(keys)) {
          l[st[i].text] = st[i + 1].text;
          i += 2;
        }
        e = json{{"log", l.empty() ? json(nullptr) : l}};
      } else if (w == "comment") {
        if (i + 1 < st.size()) rule["comment"] = st[i + 1].text;
        i += 2;
        continue;
      } else if (w == "notrack") {
        e = json{{"notrack", nullptr}};
        ++i;
      } else if (w == "dnat" || w == "snat" || w == "masquerade" || w == "redirect") {
        if (!nat_statement(st, i, e)) return;
      } else if ((w == "add" || w == "update" || w == "delete") && i + 1 < st.size() && !st[i + 1].text.empty() &&
                 st[i + 1].text[0] == '@') {
        std::string what = unknown_words(st, i);
        e = json{{"set", {{"op", w}, {"elem", what}}}};
      } else if (w == "queue" || w == "fwd" || w == "tproxy" || w == "synproxy") {
        ++i;
        std::string rest = unknown_words(st, i);
        e = json{{w, rest.empty() ? json(nullptr) : json(rest)}};
      } else if (auto left = lhs(st, i)) {
        if (i < st.size() && st[i].kind == tok::word && st[i].text == "set") {
          ++i;  // "meta mark set 1", "ct mark set 2": changes the packet, no verdict
          std::string rest = unknown_words(st, i);
          e = json{{"mangle", {{"key", *left}, {"value", rest}}}};
        } else if (i < st.size() && st[i].kind == tok::word && st[i].text == "vmap") {
          ++i;
          json data;
          if (i < st.size() && st[i].kind == tok::open) {
            if (!set_elements(st, i, data, true)) return;
          } else if (i < st.size() && st[i].kind == tok::word) {
            data = st[i++].text;
          } else {
            error(st[i - 1], "vmap without elements");
            return;
          }
          e = json{{"vmap", {{"key", *left}, {"data", data}}}};
        } else if (!read_match(st, i, *left, e)) {
          return;
        }
      } else {
        // Not an expression the JSON reader knows either: keep it whole, the rule is then unknown.
        std::string kw = w;
        ++i;
        std::string rest = unknown_words(st, i);
        e = json{{kw, rest.empty() ? json(nullptr) : json(rest)}};
      }
      exprs.emplace_back(std::move(e), &st[start]);
      if (exprs.size() > 256) {
        error(t, "rule with too many expressions");
        return;
      }
    }
    rule["expr"] = json::array();
    std::string head = dump(json{{"rule", rule}});
    // {"rule": {..., "expr": []}} → open the expr array and write one expression per line.
    head.resize(head.size() - 3);
    emit_line(head, at(st[0]));
    for (std::size_t k = 0; k < exprs.size(); ++k)
      emit_line(dump(exprs[k].first) + (k + 1 < exprs.size() ? "," : ""), at(*exprs[k].second));
    emit_line("]}},", at(st[0]));
  }

  // "lhs [op] rhs": rhs is a value, a comma list, an anonymous set or "@set".
  bool read_match(const std::vector<token>& st, std::size_t& i, const json& plain_left, json& out) {
    // A bitwise left side ("ct mark & 0xff == 0x1"), as nft -j writes it: {"&": [left, mask]}. The
    // JSON reader takes it for a match it does not know.
    json left = plain_left;
    auto bitop = [](const std::string& w) { return w == "&" || w == "|" || w == "^" || w == "<<" || w == ">>"; };
    while (i + 1 < st.size() && st[i].kind == tok::word && bitop(st[i].text) &&
           (st[i + 1].kind == tok::word || st[i + 1].kind == tok::string)) {
      left = json{{st[i].text, json::array({left, value_of(st[i + 1])})}};
      i += 2;
    }
    std::string op = "==";
    static constexpr std::string_view ops[] = {"==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"};
    if (i < st.size() && st[i].kind == tok::word &&
        std::find(std::begin(ops), std::end(ops), st[i].text) != std::end(ops)) {
      static const std::map<std::string, std::string> words = {{"eq", "=="}, {"ne", "!="}, {"lt", "<"},
                                                               {"gt", ">"},  {"le", "<="}, {"ge", ">="}};
      auto it = words.find(st[i].text);
      op = it == words.end() ? st[i].text : it->second;
      ++i;
    }
    if (i >= st.size()) {
      error(st.back(), "match without a value");
      return false;
    }
    json right;
    if (st[i].kind == tok::open) {
      if (!set_elements(st, i, right, false)) return false;
    } else if (st[i].kind == tok::word || st[i].kind == tok::string) {
      right = value_of(st[i++]);
      if (i < st.size() && st[i].kind == tok::word && st[i].text == "/") {
        // A masked match ("tcp flags syn / fin,syn,rst,ack"): nft -j writes it with the mask on the
        // left, {"&": [left, ["fin", "syn", ...]]}.
        ++i;
        json mask = json::array();
        for (bool first = true; i < st.size(); first = false) {
          if (!first && st[i].kind != tok::comma) break;
          if (!first) ++i;
          if (i >= st.size() || st[i].kind != tok::word) break;
          mask.push_back(value_of(st[i++]));
        }
        out = json{{"match", {{"op", op}, {"left", json{{"&", json::array({left, mask.size() == 1 ? mask[0] : mask})}}},
                              {"right", right}}}};
        return true;
      }
      if (i < st.size() && st[i].kind == tok::comma) {
        // A flag list: "ct state established,related".
        json list = json::array({right});
        while (i + 1 < st.size() && st[i].kind == tok::comma &&
               (st[i + 1].kind == tok::word || st[i + 1].kind == tok::string)) {
          list.push_back(value_of(st[i + 1]));
          i += 2;
        }
        right = list;
        if (op == "==") op = "in";
      }
    } else {
      error(st[i], "unexpected token after a match");
      return false;
    }
    out = json{{"match", {{"op", op}, {"left", left}, {"right", right}}}};
    return true;
  }

  std::vector<token> toks_;
  std::size_t pos_ = 0;
  std::string file_;
  diagnostics& diags_;
  std::vector<json_line> lines_;
  std::string family_, table_, chain_;
};

// Maps a line of the generated JSON to the text position it came from.
source_location map_back(const std::vector<json_line>& lines, const source_location& json_at, const std::string& file) {
  if (json_at.line >= 1 && json_at.line <= lines.size()) return lines[json_at.line - 1].where;
  return {file, 1, 1};
}

}  // namespace

bool looks_like_nft_text(std::string_view text) {
  const auto line = detail::first_content_line(text);
  return line.starts_with("table ") || line.starts_with("table\t") || line.starts_with("flush ruleset");
}

ruleset parse_nft_text(std::string_view text, const std::string& file, diagnostics& diags) {
  text_reader rd(text, file, diags);
  auto lines = rd.run();
  std::string doc;
  for (const auto& l : lines) doc += l.text + "\n";
  diagnostics inner;
  ruleset rs = parse_nft_json(doc, file, inner);
  for (auto& c : rs.chains) {
    c.where = map_back(lines, c.where, file);
    for (auto& r : c.rules) r.where = map_back(lines, r.where, file);
  }
  for (const auto& d : inner.all()) {
    std::string message = d.message;
    // "nftables[4].rule.expr[3].dnat.addr: not an address": the JSON path means nothing in the text.
    if (message.starts_with("nftables[")) {
      auto colon = message.find(": ");
      if (colon != std::string::npos) message = message.substr(colon + 2);
    }
    auto where = map_back(lines, d.where, file);
    if (d.is_error) diags.error(where, message, d.near);
    else diags.warning(where, message, d.near);
  }
  return rs;
}

}  // namespace hc::nat
