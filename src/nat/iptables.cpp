// Reader for `iptables-save` output: tables, chain policies, rules with the matches and targets
// the simulator understands; anything else is kept as an unknown match or target.

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "nat/detail.hpp"
#include "nat/nat.hpp"

namespace hc::nat {
namespace {

struct token {
  std::string_view text;     // into the line, or (quoted) into the tokenizer's buffer
  std::uint32_t column = 0;  // 1-based
  bool quoted = false;
};

// Splits a line the way iptables-save quotes it ("..." with backslash escapes) into `out` (cleared
// first). Unquoted tokens view the line; the text of quoted ones, unescaped, goes to `unescaped`,
// which is reserved to the line's length first so that it never moves (a token's text is never
// longer than the line). No allocation per token: the vector and the buffer are reused per line.
void tokenize(std::string_view line, std::vector<token>& out, std::string& unescaped, std::string& error) {
  out.clear();
  unescaped.clear();
  if (unescaped.capacity() < line.size()) unescaped.reserve(line.size());
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
      ++i;
      continue;
    }
    token t;
    t.column = static_cast<std::uint32_t>(i + 1);
    if (line[i] == '"') {
      t.quoted = true;
      ++i;
      bool closed = false;
      std::size_t begin = unescaped.size();
      while (i < line.size()) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          unescaped += line[i + 1];
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          closed = true;
          break;
        } else {
          unescaped += line[i++];
        }
      }
      if (!closed) error = "unterminated quoted string";
      t.text = std::string_view(unescaped).substr(begin);
    } else {
      std::size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
      t.text = line.substr(start, i - start);
    }
    out.push_back(t);
  }
}

// "198.18.1.0/24", "198.18.1.10", "10.0.0.0/255.0.0.0".
std::optional<ip_prefix> parse_iptables_prefix(std::string_view text) {
  auto slash = text.find('/');
  if (slash != std::string_view::npos && text.substr(slash + 1).find('.') != std::string_view::npos) {
    auto mask = ip_address::parse(text.substr(slash + 1));
    auto addr = ip_address::parse(text.substr(0, slash));
    if (!mask || !addr || mask->v6) return std::nullopt;
    unsigned len = 0;
    bool seen_zero = false;
    for (int b = 0; b < 32; ++b) {
      bool bit = mask->bytes[b / 8] & (0x80u >> (b % 8));
      if (bit && seen_zero) return std::nullopt;
      if (bit) ++len;
      else seen_zero = true;
    }
    return ip_prefix::parse(addr->str() + "/" + std::to_string(len));
  }
  if (slash == std::string_view::npos) {
    // A bare address: ip_prefix::parse would read "10" as nothing; require a full address.
    if (!ip_address::parse(text)) return std::nullopt;
  }
  return ip_prefix::parse(text);
}

// "addr", "addr-addr", with ":port" or ":port-port"; IPv6 in brackets.
std::optional<nat_target> parse_nat_to(std::string_view text) {
  nat_target t;
  std::string_view addr_part = text, port_part;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    addr_part = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port_part = text.substr(close + 2);
    }
  } else if (auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    addr_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
  }
  if (!addr_part.empty()) {
    auto dash = addr_part.find('-');
    auto a = ip_address::parse(addr_part.substr(0, dash));
    if (!a) return std::nullopt;
    t.addr = a;
    if (dash != std::string_view::npos) {
      auto b = ip_address::parse(addr_part.substr(dash + 1));
      if (!b) return std::nullopt;
      t.addr_last = b;
    }
  }
  if (!port_part.empty()) {
    auto r = detail::parse_port_range(port_part, '-');
    if (!r) return std::nullopt;
    t.ports = r;
  }
  if (!t.addr && !t.ports) return std::nullopt;
  return t;
}

bool is_top_option(std::string_view t) {
  static const std::set<std::string_view> top = {"-s", "--source", "--src", "-d", "--destination", "--dst",
                                                 "-i", "--in-interface", "-o", "--out-interface", "-p",
                                                 "--protocol", "-m", "--match", "-j", "--jump", "-g", "--goto",
                                                 "-f", "--fragment"};
  return top.count(t) > 0;
}

const std::set<std::string_view>& non_terminal_targets() {
  static const std::set<std::string_view> s = {"LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "TCPMSS", "CLASSIFY",
                                               "DSCP", "TOS", "TTL", "HL", "CT", "NOTRACK", "TRACE", "AUDIT",
                                               "SET", "CHECKSUM", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED",
                                               "RATEEST", "TEE"};
  return s;
}

class line_parser {
 public:
  // `file`, `line` and `column` locate the line (its first non-blank character) for the messages.
  line_parser(const std::vector<token>& toks, const std::string& file, std::uint32_t line, std::uint32_t column,
              diagnostics& diags)
      : toks_(toks), file_(file), line_(line), column_(column), diags_(diags) {}

  // Parses the tokens after "-A CHAIN" into r; returns false after reporting an error.
  bool parse(rule& r, std::size_t start) {
    i_ = start;
    std::string_view module;  // the last -m module, for its options
    while (i_ < toks_.size()) {
      bool neg = false;
      if (toks_[i_].text == "!") {
        neg = true;
        if (++i_ >= toks_.size()) return fail("'!' at end of rule", "!");
      }
      const token& opt = toks_[i_];
      std::string_view o = opt.text;
      ++i_;
      // Old syntax: "-s ! addr".
      auto value = [&]() -> const token* {
        if (i_ < toks_.size() && toks_[i_].text == "!" && !toks_[i_].quoted) {
          neg = !neg;
          ++i_;
        }
        if (i_ >= toks_.size()) {
          fail("option needs a value", o);
          return nullptr;
        }
        return &toks_[i_++];
      };
      if (o == "-s" || o == "--source" || o == "--src" || o == "-d" || o == "--destination" || o == "--dst") {
        auto v = value();
        if (!v) return false;
        addr_match m;
        m.negated = neg;
        std::string_view list = v->text;
        while (true) {
          auto comma = list.find(',');
          auto item = list.substr(0, comma);
          auto p = parse_iptables_prefix(item);
          if (!p) return fail_at(*v, "not an address or prefix", std::string(item));
          m.any_of.push_back(*p);
          if (comma == std::string_view::npos) break;
          list = list.substr(comma + 1);
        }
        (o[1] == 's' || o == "--source" || o == "--src" ? r.match.saddr : r.match.daddr) = std::move(m);
      } else if (o == "-i" || o == "--in-interface" || o == "-o" || o == "--out-interface") {
        auto v = value();
        if (!v) return false;
        iface_match m{std::string(v->text), neg};
        (o == "-i" || o == "--in-interface" ? r.match.iif : r.match.oif) = std::move(m);
      } else if (o == "-p" || o == "--protocol") {
        auto v = value();
        if (!v) return false;
        if (v->text == "all" || v->text == "0") {
          if (neg) r.match.unknown.push_back("! -p all");
          continue;
        }
        auto p = detail::protocol_number(v->text);
        if (!p) return fail_at(*v, "unknown protocol", v->text);
        r.match.protocols = {*p};
        r.match.protocol_negated = neg;
      } else if (o == "-f" || o == "--fragment") {
        r.match.unknown.push_back(neg ? "! -f" : "-f");
      } else if (o == "-m" || o == "--match") {
        auto v = value();
        if (!v) return false;
        module = v->text;
        static const std::set<std::string_view> known = {"tcp", "udp", "multiport", "conntrack", "state",
                                                         "addrtype", "comment"};
        if (!known.count(module)) {
          // An unknown module: keep it, and swallow its options up to the next top-level option.
          std::string text = "-m ";
          text += module;
          while (i_ < toks_.size() && !is_top_option(toks_[i_].text) &&
                 !(toks_[i_].text == "!" && i_ + 1 < toks_.size() && is_top_option(toks_[i_ + 1].text))) {
            text += ' ';
            text += toks_[i_++].text;
          }
          r.match.unknown.push_back(text);
        }
      } else if (o == "--dport" || o == "--destination-port" || o == "--sport" || o == "--source-port") {
        auto v = value();
        if (!v) return false;
        auto pr = detail::parse_port_range(v->text, ':');
        if (!pr) return fail_at(*v, "not a port or port range", v->text);
        port_match m{{*pr}, neg};
        (o == "--dport" || o == "--destination-port" ? r.match.dport : r.match.sport) = std::move(m);
      } else if (o == "--dports" || o == "--destination-ports" || o == "--sports" || o == "--source-ports" ||
                 o == "--ports") {
        auto v = value();
        if (!v) return false;
        port_match m;
        m.negated = neg;
        std::string_view list = v->text;
        while (true) {
          auto comma = list.find(',');
          auto item = list.substr(0, comma);
          auto pr = detail::parse_port_range(item, ':');
          if (!pr) return fail_at(*v, "not a port or port range", std::string(item));
          m.any_of.push_back(*pr);
          if (comma == std::string_view::npos) break;
          list = list.substr(comma + 1);
        }
        if (o == "--ports") r.match.unknown.push_back("--ports " + std::string(v->text));  // either port: not simulated
        else if (o == "--dports" || o == "--destination-ports") r.match.dport = std::move(m);
        else r.match.sport = std::move(m);
      } else if (o == "--ctstate" || o == "--state") {
        auto v = value();
        if (!v) return false;
        ct_match m;
        m.negated = neg;
        std::string_view list = v->text;
        while (true) {
          auto comma = list.find(',');
          auto item = list.substr(0, comma);
          if (item == "NEW") m.any_of |= ct_new;
          else if (item == "ESTABLISHED") m.any_of |= ct_established;
          else if (item == "RELATED") m.any_of |= ct_related;
          else if (item == "INVALID") m.any_of |= ct_invalid;
          else if (item == "UNTRACKED") m.any_of |= ct_untracked;
          else if (item == "DNAT" && o == "--ctstate") m.any_of |= ct_dnat;
          else if (item == "SNAT" && o == "--ctstate") m.any_of |= ct_snat;
          else return fail_at(*v, "unknown connection state", std::string(item));
          if (comma == std::string_view::npos) break;
          list = list.substr(comma + 1);
        }
        r.match.ct.push_back(m);
      } else if (o == "--dst-type") {
        auto v = value();
        if (!v) return false;
        if (v->text == "LOCAL") r.match.dst_local = !neg;
        else r.match.unknown.push_back(std::string(neg ? "! " : "") + "--dst-type " + std::string(v->text));
      } else if (o == "--comment") {
        if (!value()) return false;
      } else if (!module.empty() && o.rfind("--", 0) == 0 && o != "--to-destination" && o != "--to-source") {
        // Other options of a loaded module (--tcp-flags, --syn, --ctstatus, --src-type, ...), with
        // their values: kept as matches the simulator does not know.
        std::string text = neg ? "! " : "";
        text += o;
        while (i_ < toks_.size() && !toks_[i_].text.empty() && toks_[i_].text[0] != '-' && toks_[i_].text != "!") {
          text += ' ';
          text += toks_[i_++].text;
        }
        r.match.unknown.push_back(text);
      } else if (o == "-j" || o == "--jump" || o == "-g" || o == "--goto") {
        if (neg) return fail_at(opt, "a target cannot be negated", o);
        auto v = value();
        if (!v) return false;
        return parse_target(r, v->text, o == "-g" || o == "--goto");
      } else {
        return fail_at(opt, "unknown option", o);
      }
    }
    return true;  // a rule without target only counts packets
  }

 private:
  bool parse_target(rule& r, std::string_view target, bool is_goto) {
    r.target = target;
    if (is_goto) {
      r.act = action::go;
      return rest_is_empty();
    }
    if (target == "ACCEPT") r.act = action::accept;
    else if (target == "DROP") r.act = action::drop;
    else if (target == "REJECT") r.act = action::reject;
    else if (target == "RETURN") r.act = action::ret;
    else if (target == "DNAT") r.act = action::dnat;
    else if (target == "SNAT") r.act = action::snat;
    else if (target == "MASQUERADE") r.act = action::masquerade;
    else if (target == "REDIRECT") r.act = action::redirect;
    else if (non_terminal_targets().count(target)) r.act = action::none;
    else if (!target.empty() && target.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos)
      r.act = action::unknown;  // an extension target we do not know; decided later if it is a chain
    else r.act = action::jump;  // a user chain; checked once all chains are known
    // Target options.
    while (i_ < toks_.size()) {
      const token& opt = toks_[i_++];
      bool nat_to = r.act == action::dnat || r.act == action::snat;
      if (nat_to && (opt.text == "--to-destination" || opt.text == "--to-source" || opt.text == "--to")) {
        if (i_ >= toks_.size()) return fail_at(opt, "option needs a value", opt.text);
        const token& v = toks_[i_++];
        auto to = parse_nat_to(v.text);
        if (!to) return fail_at(v, "not an address[:port] for NAT", v.text);
        r.to = *to;
      } else if (opt.text == "--to-ports" && (r.act == action::masquerade || r.act == action::redirect)) {
        if (i_ >= toks_.size()) return fail_at(opt, "option needs a value", opt.text);
        const token& v = toks_[i_++];
        auto pr = detail::parse_port_range(v.text, '-');
        if (!pr) return fail_at(v, "not a port or port range", v.text);
        r.to.ports = pr;
      } else if (opt.text.rfind("--", 0) == 0) {
        // Other target options (--reject-with, --log-prefix, --random, ...): flags or one value.
        if (i_ < toks_.size() && toks_[i_].text.rfind("--", 0) != 0) ++i_;
      } else {
        return fail_at(opt, "unexpected token after the target", opt.text);
      }
    }
    if (r.act == action::dnat && !r.to.addr && !r.to.ports) return fail("DNAT without --to-destination", "DNAT");
    if (r.act == action::snat && !r.to.addr) return fail("SNAT without --to-source", "SNAT");
    return true;
  }

  bool rest_is_empty() {
    if (i_ < toks_.size()) return fail_at(toks_[i_], "unexpected token after the target", toks_[i_].text);
    return true;
  }
  bool fail(std::string message, std::string_view near) {
    diags_.error({file_, line_, column_}, std::move(message), std::string(near));
    return false;
  }
  bool fail_at(const token& t, std::string message, std::string_view near) {
    diags_.error({file_, line_, t.column}, std::move(message), std::string(near));
    return false;
  }

  const std::vector<token>& toks_;
  std::size_t i_ = 0;
  const std::string& file_;
  std::uint32_t line_ = 0, column_ = 0;
  diagnostics& diags_;
};

// The number of -A and -I lines of each chain (key: table '\0' chain), read quickly before the rules
// so that each chain's rule vector is allocated once (a rule is ~550 bytes: growing by doubling
// moved 100,000 of them twice and touched three times the memory). Only a capacity hint: a line the
// reader rejects is counted too, so the whole reservation is bounded by the text's size (at most one
// rule per 32 bytes).
std::unordered_map<std::string, std::size_t> rule_count_hint(std::string_view text) {
  std::unordered_map<std::string, std::size_t> out;
  std::string_view table, run_chain;  // the current table; the chain of the current run of lines
  std::size_t run = 0;
  auto flush = [&] {
    if (run) out[std::string(table) + '\0' + std::string(run_chain)] += run;
    run = 0;
  };
  auto word = [](std::string_view& rest) -> std::string_view {  // the next blank-separated word
    auto b = rest.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    rest.remove_prefix(b);
    auto e = std::min(rest.find_first_of(" \t\r"), rest.size());
    auto w = rest.substr(0, e);
    rest.remove_prefix(e);
    return w;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = std::min(text.find('\n', pos), text.size());
    std::string_view rest = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto head = word(rest);
    if (!head.empty() && head.front() == '[') head = word(rest);  // [packets:bytes]
    if (head.empty()) continue;
    if (head.front() == '*' || head == "COMMIT") {
      flush();
      table = head.front() == '*' ? head.substr(1) : std::string_view{};
      continue;
    }
    if (head != "-A" && head != "--append" && head != "-I" && head != "--insert") continue;
    auto name = word(rest);
    if (name != run_chain) {
      flush();
      run_chain = name;
    }
    ++run;
  }
  flush();
  return out;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

ruleset parse_iptables_save(std::string_view text, const std::string& file, diagnostics& diags) {
  ruleset rs;
  rs.syntax = rule_syntax::iptables;
  rs.file = file;
  std::string table;  // current table, empty outside *table ... COMMIT
  // the current table's chains by name
  std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> table_chains;
  // Rules inserted with -I, in the order read, per chain: -I puts each before all others, so they
  // come first in reverse order (kept apart so that an insertion does not move every rule).
  std::vector<std::vector<rule>> inserted;
  auto hint = rule_count_hint(text);
  std::size_t reserve_budget = text.size() / 32;  // rules reserved in all, see rule_count_hint
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  auto find_chain = [&](std::string_view name) -> std::optional<std::size_t> {
    auto it = table_chains.find(name);
    if (it == table_chains.end()) return std::nullopt;
    return it->second;
  };
  std::vector<token> toks;  // the tokens of the current line, and the text of its quoted ones
  std::string unescaped;
  std::string tok_error;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const auto column = static_cast<std::uint32_t>(first + 1);
    // The line's location, built only where it is kept or reported (the file name is a string).
    auto where = [&] { return source_location{file, line_no, column}; };
    if (line.find('\0') != std::string_view::npos) {
      diags.error(where(), "binary data in the rules");
      continue;
    }
    tok_error.clear();
    tokenize(line, toks, unescaped, tok_error);
    if (!tok_error.empty()) {
      diags.error(where(), tok_error, std::string(line.substr(first, 40)));
      continue;
    }
    // "[packets:bytes]" counters from iptables-save -c.
    std::size_t start = 0;
    if (!toks.empty() && toks[0].text.size() > 2 && toks[0].text.front() == '[' && toks[0].text.back() == ']' &&
        toks[0].text.find(':') != std::string_view::npos)
      start = 1;
    if (start >= toks.size()) continue;
    const std::string_view head = toks[start].text;
    if (head[0] == '*') {
      if (!table.empty()) diags.error(where(), "table '" + table + "' not closed by COMMIT", std::string(head));
      table.assign(head.substr(1));
      if (table.empty()) diags.error(where(), "table name missing", std::string(head));
      table_chains.clear();
      continue;
    }
    if (head == "COMMIT") {
      if (table.empty()) diags.error(where(), "COMMIT outside a table", std::string(head));
      table.clear();
      table_chains.clear();
      continue;
    }
    if (table.empty()) {
      diags.error(where(), "rule outside a table (missing *nat or *filter)", std::string(head));
      continue;
    }
    if (head[0] == ':') {
      chain c;
      c.table = table;
      c.type = table;
      c.name = head.substr(1);
      c.where = where();
      if (c.name.empty()) {
        diags.error(where(), "chain name missing", std::string(head));
        continue;
      }
      if (start + 1 < toks.size()) {
        const auto& pol = toks[start + 1].text;
        if (pol == "DROP") c.policy_drop = true;
        else if (pol != "ACCEPT" && pol != "-") {
          source_location at = where();
          at.column = toks[start + 1].column;
          diags.error(at, "unknown chain policy", std::string(pol));
        }
      }
      detail::builtin_hook(table, c.name, c.hook, c.priority);
      if (find_chain(c.name)) {
        diags.error(where(), "chain declared twice", c.name);
        continue;
      }
      if (auto h = hint.find(table + '\0' + c.name); h != hint.end()) {
        std::size_t n = std::min(h->second, reserve_budget);
        c.rules.reserve(n);
        reserve_budget -= n;
      }
      table_chains.emplace(c.name, rs.chains.size());
      rs.chains.push_back(std::move(c));
      inserted.emplace_back();
      continue;
    }
    if (head == "-A" || head == "--append" || head == "-I" || head == "--insert") {
      if (start + 1 >= toks.size()) {
        diags.error(where(), "chain name missing", std::string(head));
        continue;
      }
      const token& cname = toks[start + 1];
      auto ci = find_chain(cname.text);
      if (!ci) {
        source_location at = where();
        at.column = cname.column;
        diags.error(at, "rule for an undeclared chain", std::string(cname.text));
        continue;
      }
      const bool insert = head == "-I" || head == "--insert";
      std::size_t body = start + 2;
      if (insert && body < toks.size() && detail::parse_port(toks[body].text)) ++body;
      // Read in place (a rule is ~550 bytes), and taken back when the line is rejected.
      auto& rules = insert ? inserted[*ci] : rs.chains[*ci].rules;
      rule& r = rules.emplace_back();
      line_parser lp(toks, file, line_no, column, diags);
      if (!lp.parse(r, body)) {
        rules.pop_back();
        continue;
      }
      r.where = where();
      r.text = line.substr(first);
      continue;
    }
    diags.error(where(), "not an iptables-save line", std::string(head));
  }
  if (!table.empty()) diags.error({file, line_no, 0}, "table '" + table + "' not closed by COMMIT");
  for (std::size_t k = 0; k < rs.chains.size(); ++k) {
    auto& ins = inserted[k];
    if (ins.empty()) continue;
    std::reverse(ins.begin(), ins.end());
    auto& rules = rs.chains[k].rules;
    ins.insert(ins.end(), std::make_move_iterator(rules.begin()), std::make_move_iterator(rules.end()));
    rules = std::move(ins);
  }
  // ip6tables-save has the same syntax: its addresses tell it apart.
  bool v6 = false;
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules)
      for (const auto* m : {&r.match.saddr, &r.match.daddr})
        if (*m && !(*m)->any_of.empty() && (*m)->any_of.front().network.v6) v6 = true;
  if (v6)
    for (auto& c : rs.chains) c.family = "ip6";
  // Resolve jump targets now that all chains are known: the user chains (no hook) by key.
  std::unordered_set<std::string> user_chains;
  for (const auto& c : rs.chains)
    if (c.hook.empty()) user_chains.insert(detail::chain_key(c.family, c.table, c.name));
  for (auto& c : rs.chains) {
    for (auto& r : c.rules) {
      if (r.act != action::jump && r.act != action::go && r.act != action::unknown) continue;
      bool exists = user_chains.count(detail::chain_key(c.family, c.table, r.target)) > 0;
      if (exists) {
        if (r.act == action::unknown) r.act = action::jump;
      } else if (r.act == action::jump || r.act == action::go) {
        diags.error(r.where, "jump to an undeclared chain", r.target);
        r.act = action::unknown;
      }
    }
  }
  rs.reindex();
  return rs;
}

}  // namespace hc::nat
