// Reader for `nft -j list ruleset`: tables, chains (hook, priority, policy), named sets and rules,
// with the expressions the simulator understands; anything else is kept as an unknown match.

#include <algorithm>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "nat/detail.hpp"
#include "nat/nat.hpp"

namespace hc::nat {
namespace {

using json = nlohmann::ordered_json;

// The byte offset of every '{' and '[' outside strings, in document order, and the deepest
// nesting of objects and arrays: one pass over the text.
struct bracket_scan {
  std::vector<std::size_t> offsets;
  std::size_t deepest = 0;
};
bracket_scan scan_brackets(std::string_view text) {
  bracket_scan out;
  std::size_t depth = 0;
  bool in_string = false;
  const char* p = text.data();
  for (std::size_t i = 0, n = text.size(); i < n; ++i) {
    char c = p[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      out.offsets.push_back(i);
      out.deepest = std::max(out.deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return out;
}

// Line and column (1-based) of a byte offset.
struct line_index {
  explicit line_index(std::string_view text) {
    starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts.push_back(i + 1);
  }
  std::pair<std::uint32_t, std::uint32_t> at(std::size_t off) const {
    auto it = std::upper_bound(starts.begin(), starts.end(), off);
    std::size_t line = static_cast<std::size_t>(it - starts.begin());
    return {static_cast<std::uint32_t>(line), static_cast<std::uint32_t>(off - starts[line - 1] + 1)};
  }
  std::vector<std::size_t> starts;
};

struct named_set {
  std::vector<json> elements;
};

// The byte offsets of the objects and arrays of one item of the "nftables" array, by value.
struct item_positions {
  std::vector<std::pair<const json*, std::size_t>> in_order;  // as parsed; a later entry wins
  mutable std::unordered_map<const json*, std::size_t> hashed;  // built on demand for big items
  std::optional<std::size_t> find(const json* j) const {
    if (in_order.size() > 64) {
      if (hashed.empty())
        for (auto& [v, off] : in_order) hashed.insert_or_assign(v, off);
      auto it = hashed.find(j);
      if (it == hashed.end()) return std::nullopt;
      return it->second;
    }
    for (auto it = in_order.rbegin(); it != in_order.rend(); ++it)
      if (it->first == j) return it->second;
    return std::nullopt;
  }
};

// A diagnostic held back until the whole text is read: a syntax error anywhere replaces them all,
// and they are given in the order of the two passes (chains and sets, then rules).
struct held_diagnostic {
  source_location where;
  std::string message, near;
};

// One rule item, read as soon as it was parsed when its chain and sets were already known, else
// kept as parsed and read once the whole text is.
struct rule_item {
  std::size_t number = 0;                // in the "nftables" array
  std::size_t chain = 0;                 // in rs.chains, when read
  std::vector<rule> rules;               // what it gave, when read
  std::vector<held_diagnostic> diags;    // and its diagnostics
  std::exception_ptr failed;             // an unexpected value stopped the reading
  std::unique_ptr<json> parsed;          // when not read yet
  item_positions positions;              // of `parsed`
};

class reader {
 public:
  reader(std::string_view text, const std::string& file, diagnostics& diags)
      : text_(text), file_(file), diags_(diags), lines_(text) {}

  // The nft JSON is read as a stream (sax_parse): each item of the "nftables" array is built as a
  // small document with the byte offsets of its objects and arrays, read, and dropped; rules whose
  // chain or named set comes later in the text are kept until the end. The outcome (rules,
  // diagnostics and their order) is that of reading the whole document first: chains and sets,
  // then rules.
  ruleset run() {
    ruleset rs;
    rs.syntax = rule_syntax::nft;
    rs.file = file_;
    auto scan = scan_brackets(text_);
    if (scan.deepest > 64) {
      diags_.error({file_, 1, 1}, "JSON nested too deeply for an nft ruleset");
      return rs;
    }
    offsets_ = std::move(scan.offsets);
    rs_ = &rs;
    try {
      json::sax_parse(text_.begin(), text_.end(), this);
    } catch (const json::parse_error& e) {
      rs = ruleset{};
      rs.syntax = rule_syntax::nft;
      rs.file = file_;
      source_location at{file_, 0, 0};
      if (e.byte > 0) {
        auto [l, c] = lines_.at(std::min<std::size_t>(e.byte - 1, text_.empty() ? 0 : text_.size() - 1));
        at.line = l;
        at.column = c;
      }
      std::string msg = e.what();
      if (auto p = msg.find("syntax error"); p != std::string::npos) msg = msg.substr(p);
      diags_.error(at, "not valid JSON: " + msg);
      return rs;
    } catch (const json::exception& e) {
      rs = ruleset{};
      rs.syntax = rule_syntax::nft;
      rs.file = file_;
      diags_.error({file_, 0, 0}, std::string("not valid JSON: ") + e.what());
      return rs;
    }
    if (!top_object_ || !nftables_array_) {
      rs = ruleset{};
      rs.syntax = rule_syntax::nft;
      rs.file = file_;
      source_location at{file_, 0, 0};
      if (top_container_ && !positions_lost_) std::tie(at.line, at.column) = lines_.at(top_offset_);
      diags_.error(at, "not an nft JSON ruleset: no \"nftables\" array at the top");
      return rs;
    }
    flush(first_pass_diags_);
    if (first_pass_failed_) std::rethrow_exception(first_pass_failed_);
    {  // room for the rules already read, so that 10^5 rules of one chain are moved once
      std::vector<std::size_t> adding(rs.chains.size(), 0);
      for (const auto& item : rule_items_)
        if (!item.parsed && item.chain < adding.size()) adding[item.chain] += item.rules.size();
      for (std::size_t ci = 0; ci < adding.size(); ++ci)
        if (adding[ci] > 0) rs.chains[ci].rules.reserve(rs.chains[ci].rules.size() + adding[ci]);
    }
    for (auto& item : rule_items_) {
      if (item.parsed) {  // its chain or a named set came later: read it now
        eager_ = false;
        item.diags.clear();
        held_ = &item.diags;
        positions_ = &item.positions;
        read_rule(item.parsed->begin().value(), fmt::format("nftables[{}].rule", item.number), item);
        flush(item.diags);
        item.parsed.reset();
        if (item.failed) std::rethrow_exception(item.failed);
      } else {
        flush(item.diags);
        if (item.failed) std::rethrow_exception(item.failed);
      }
      if (!item.rules.empty()) {
        auto& into = rs.chains[item.chain].rules;
        into.insert(into.end(), std::make_move_iterator(item.rules.begin()), std::make_move_iterator(item.rules.end()));
      }
    }
    rule_items_.clear();
    if (positions_lost_) {  // duplicate keys: the positions are not to be trusted
      for (auto& c : rs.chains) {
        c.where.line = c.where.column = 0;
        for (auto& r : c.rules) r.where.line = r.where.column = 0;
      }
    }
    for (auto& c : rs.chains) {
      for (auto& r : c.rules) {
        if (r.act != action::jump && r.act != action::go) continue;
        if (!chains_.count(key_of(c.family, c.table, r.target))) {
          diags_.error(r.where, "jump to an undeclared chain", r.target);
          r.act = action::unknown;
        }
      }
    }
    rs.reindex();
    return rs;
  }

  // The SAX interface of nlohmann::json (json::sax_parse).
  bool null() { return scalar(json(nullptr)); }
  bool boolean(bool v) { return scalar(json(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return scalar(json(v)); }
  bool string(json::string_t& v) { return scalar(json(std::move(v))); }
  bool binary(json::binary_t& v) { return scalar(json(json::binary_t(std::move(v)))); }
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    if (!stack_.empty()) {
      auto& members = stack_.back()->get_ref<json::object_t&>();
      auto [at, added] = members.emplace(std::move(k), json());
      if (!added) {  // the later value replaces the earlier, as in a parsed document
        if (at->second.is_object() || at->second.is_array()) positions_lost_ = true;
        at->second = json();
      }
      slot_ = &at->second;
      return true;
    }
    if (depth_ == 1 && top_object_) {  // a key of the document
      auto [it, fresh] = top_keys_.emplace(k, false);
      if (!fresh && it->second) positions_lost_ = true;
      top_key_ = &it->first;
    }
    return true;
  }
  template <typename Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    throw e;
  }

 private:
  // A value outside any item, or in the item being built.
  bool scalar(json v) {
    if (!stack_.empty()) {
      json& parent = *stack_.back();
      if (parent.is_array()) parent.push_back(std::move(v));
      else *slot_ = std::move(v);
      return true;
    }
    if (depth_ == 0) return true;  // the document is a single value: not a rule set
    if (depth_ == 1 && top_object_) {
      top_keys_[*top_key_] = false;
      if (*top_key_ == "nftables") start_nftables(false);
      return true;
    }
    if (depth_ == 2 && in_nftables_) {
      item_ = std::make_unique<json>(std::move(v));
      item_positions_.in_order.clear();
      item_positions_.hashed.clear();
      on_item();
    }
    return true;
  }

  bool open(json::value_t type) {
    std::size_t off = container_++ < offsets_.size() ? offsets_[container_ - 1] : 0;
    if (!stack_.empty()) {
      json& parent = *stack_.back();
      json* made;
      if (parent.is_array()) {
        parent.push_back(json(type));
        made = &parent.back();
      } else {
        *slot_ = json(type);
        made = slot_;
      }
      item_positions_.in_order.emplace_back(made, off);
      stack_.push_back(made);
    } else if (depth_ == 0) {
      top_container_ = true;
      top_object_ = type == json::value_t::object;
      top_offset_ = off;
    } else if (depth_ == 1 && top_object_) {
      top_keys_[*top_key_] = true;
      if (*top_key_ == "nftables") start_nftables(type == json::value_t::array);
    } else if (depth_ == 2 && in_nftables_) {
      item_ = std::make_unique<json>(type);
      item_positions_.in_order.clear();
      item_positions_.hashed.clear();
      item_positions_.in_order.emplace_back(item_.get(), off);
      stack_.push_back(item_.get());
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (!stack_.empty()) {
      stack_.pop_back();
      if (stack_.empty()) on_item();
    } else if (depth_ == 1) {
      in_nftables_ = false;
    }
    return true;
  }

  // The value of "nftables" begins (again: the last one counts, as in a parsed document).
  void start_nftables(bool is_array) {
    if (seen_nftables_) {
      rs_->chains.clear();
      chains_.clear();
      sets_.clear();
      first_pass_diags_.clear();
      first_pass_failed_ = nullptr;
      rule_items_.clear();
    }
    seen_nftables_ = true;
    nftables_array_ = is_array;
    in_nftables_ = is_array;
    item_number_ = 0;
  }

  // An item of the "nftables" array was parsed: chains and sets are read now; rules when their
  // chain and sets are known, else at the end.
  void on_item() {
    std::size_t number = item_number_++;
    std::unique_ptr<json> item = std::move(item_);
    const json& it = *item;
    positions_ = &item_positions_;
    if (!it.is_object() || it.size() != 1) {
      if (!first_pass_failed_) {
        held_ = &first_pass_diags_;
        std::string path = fmt::format("nftables[{}]", number);
        hold(loc(it, path), path + ": expected an object with one key");
      }
      return;
    }
    const std::string& kind = it.begin().key();
    const json& body = it.begin().value();
    if (kind == "chain" || kind == "set" || kind == "map") {
      if (first_pass_failed_) return;
      held_ = &first_pass_diags_;
      try {
        if (kind == "chain") read_chain(*rs_, body, fmt::format("nftables[{}].chain", number));
        else read_set(body);
      } catch (const json::exception&) {
        first_pass_failed_ = std::current_exception();
      }
      return;
    }
    if (kind != "rule") return;
    rule_item& ri = rule_items_.emplace_back();
    ri.number = number;
    held_ = &ri.diags;
    eager_ = true;
    deferred_ = false;
    rule_path_.clear();  // a buffer reused for every rule: the path is only read in messages
    fmt::format_to(std::back_inserter(rule_path_), "nftables[{}].rule", number);
    read_rule(body, rule_path_, ri);
    if (deferred_) {
      ri.rules.clear();
      ri.diags.clear();
      ri.failed = nullptr;
      ri.parsed = std::move(item);
      ri.positions = std::move(item_positions_);
      item_positions_ = item_positions{};
    }
  }

  // Reads a rule item into `ri` (rules, chain, diagnostics); an unexpected value is kept in
  // ri.failed.
  void read_rule(const json& body, const std::string& path, rule_item& ri) {
    try {
      read_rule(*rs_, body, path, ri);
    } catch (const json::exception&) {
      ri.failed = std::current_exception();
    }
  }

  void flush(std::vector<held_diagnostic>& held) {
    for (auto& h : held) {
      if (positions_lost_) h.where.line = h.where.column = 0;
      diags_.error(std::move(h.where), std::move(h.message), std::move(h.near));
    }
    held.clear();
  }
  void hold(source_location where, std::string message, std::string near = {}) {
    held_->push_back({std::move(where), std::move(message), std::move(near)});
  }

  source_location loc(const json& j, const std::string& /*path*/) const {
    source_location at{file_, 0, 0};
    if (auto off = positions_->find(&j)) std::tie(at.line, at.column) = lines_.at(*off);
    return at;
  }
  void error(const json& j, const std::string& path, const std::string& message, std::string near = {}) {
    hold(loc(j, path), path + ": " + message, std::move(near));
  }

  // detail::chain_key() in a buffer reused for every look-up (no allocation per rule).
  const std::string& key_of(std::string_view family, std::string_view table, std::string_view name) {
    key_buf_.clear();
    key_buf_.append(family).push_back('\0');
    key_buf_.append(table).push_back('\0');
    key_buf_.append(name);
    return key_buf_;
  }

  static std::string str_of(const json& obj, const char* key) {
    if (obj.is_object() && obj.contains(key) && obj[key].is_string()) return obj[key].get<std::string>();
    return {};
  }

  // The families that route IPv4/IPv6 through NAT; arp, bridge and netdev tables are skipped.
  static bool wanted_family(const std::string& f) { return f == "ip" || f == "inet" || f == "ip6"; }
  static bool known_family(const std::string& f) {
    return wanted_family(f) || f == "arp" || f == "bridge" || f == "netdev";
  }

  void read_chain(ruleset& rs, const json& body, const std::string& path) {
    if (!body.is_object()) return error(body, path, "a chain must be an object");
    chain c;
    c.family = str_of(body, "family");
    c.table = str_of(body, "table");
    c.name = str_of(body, "name");
    c.where = loc(body, path);
    if (c.family.empty() || c.table.empty() || c.name.empty())
      return error(body, path, "chain without family, table or name");
    if (!known_family(c.family)) return error(body, path, "unknown family", c.family);
    if (!wanted_family(c.family)) return;
    c.type = str_of(body, "type");
    c.hook = str_of(body, "hook");
    if (body.contains("prio")) {
      const json& p = body["prio"];
      if (p.is_number_integer()) c.priority = p.get<int>();
      else if (p.is_string()) {
        static const std::map<std::string, int> names = {{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
                                                         {"filter", 0}, {"security", 50}, {"srcnat", 100}};
        auto it = names.find(p.get<std::string>());
        if (it == names.end()) return error(p, path + ".prio", "unknown chain priority", p.get<std::string>());
        c.priority = it->second;
      } else {
        return error(body, path + ".prio", "chain priority is not a number");
      }
    }
    std::string policy = str_of(body, "policy");
    if (policy == "drop") c.policy_drop = true;
    else if (!policy.empty() && policy != "accept") return error(body, path + ".policy", "unknown chain policy", policy);
    if (!chains_.emplace(detail::chain_key(c.family, c.table, c.name), rs.chains.size()).second)
      return error(body, path, "chain listed twice", c.name);
    rs.chains.push_back(std::move(c));
  }

  void read_set(const json& body) {
    if (!body.is_object()) return;
    std::string key = str_of(body, "family") + " " + str_of(body, "table") + " " + str_of(body, "name");
    named_set s;
    if (body.contains("elem") && body["elem"].is_array())
      for (auto& e : body["elem"]) s.elements.push_back(e);
    sets_[key] = std::move(s);
  }

  void read_rule(ruleset& rs, const json& body, const std::string& path, rule_item& ri) {
    if (!body.is_object()) return error(body, path, "a rule must be an object");
    std::string family = str_of(body, "family"), table = str_of(body, "table"), cname = str_of(body, "chain");
    if (family.empty() || table.empty() || cname.empty()) return error(body, path, "rule without family, table or chain");
    if (!known_family(family)) return error(body, path, "unknown family", family);
    if (!wanted_family(family)) return;
    auto found = chains_.find(key_of(family, table, cname));
    if (found == chains_.end()) {
      if (eager_) {  // the chain may come later in the text
        deferred_ = true;
        return;
      }
      return error(body, path, "rule for an undeclared chain", cname);
    }
    (void)rs;
    ri.chain = found->second;
    rule r;
    r.where = loc(body, path);
    if (body.contains("handle") && body["handle"].is_number_unsigned()) r.handle = body["handle"].get<std::uint64_t>();
    if (!body.contains("expr") || !body["expr"].is_array()) return error(body, path, "rule without \"expr\" array");
    if (family == "ip") r.match.family = 4;
    else if (family == "ip6") r.match.family = 6;
    cur_family_ = family;
    cur_table_ = table;
    std::vector<std::string> words;
    bool terminal = false;
    std::vector<rule> alts;
    alts.push_back(std::move(r));
    const json& exprs = body["expr"];
    for (std::size_t k = 0; k < exprs.size(); ++k) {
      std::string& epath = expr_path_;  // reused: read_rule is not re-entered
      epath.clear();
      fmt::format_to(std::back_inserter(epath), "{}.expr[{}]", path, k);
      const json& e = exprs[k];
      if (!e.is_object() || e.size() != 1) {
        error(e, epath, "expected an object with one key");
        return;
      }
      if (terminal) {
        error(e, epath, "expression after the rule's verdict");
        return;
      }
      const std::string& key = e.begin().key();
      const json& val = e.begin().value();
      std::string word;
      bool is_concat = key == "match" && val.is_object() && val.contains("left") && val["left"].is_object() &&
                       val["left"].contains("concat");
      if (key == "vmap" || is_concat) {
        // Several alternatives in one rule: expand to one rule per set element. The elements of a
        // set are distinct values of the key, so at most one alternative matches a packet.
        std::vector<rule> next;
        if (!expand(alts, key, val, epath, next, word, terminal)) return;
        alts = std::move(next);
      } else {
        for (std::size_t a = 0; a < alts.size(); ++a) {
          std::string w;
          bool term = false;
          if (!read_expr(alts[a], key, val, epath, w, term)) return;
          if (a == 0) {
            word = w;
            terminal = term;
          }
        }
      }
      if (!word.empty()) words.push_back(word);
    }
    std::string text;
    for (auto& w : words) text += (text.empty() ? "" : " ") + w;
    for (auto& a : alts) {
      a.text = text;
      ri.rules.push_back(std::move(a));
    }
  }

  // Expands a concatenation match or a verdict map into one rule per element.
  bool expand(const std::vector<rule>& alts, const std::string& key, const json& val, const std::string& path,
              std::vector<rule>& out, std::string& word, bool& terminal) {
    if (!val.is_object() || (key == "vmap" ? !val.contains("key") || !val.contains("data") : !val.contains("right"))) {
      error(val, path, key == "vmap" ? "vmap without key or data" : "match without right");
      return false;
    }
    const json& left = key == "vmap" ? val.value("key", json()) : val["left"];
    const json& right = key == "vmap" ? val.value("data", json()) : val["right"];
    std::string op = key == "vmap" ? "==" : (val.contains("op") && val["op"].is_string() ? val["op"].get<std::string>() : "==");
    word = key == "vmap" ? render(left) + " vmap " + render(right) : render(left) + " " + render(right);
    auto give_up = [&] {
      for (rule r : alts) {
        r.match.unknown.push_back(word);
        if (key == "vmap") r.act = action::unknown, r.target = "vmap";
        out.push_back(std::move(r));
      }
      if (key == "vmap") terminal = true;
      return true;
    };
    auto els = elements(right);
    if (!els || els->empty() || (op != "==" && op != "in") || els->size() * alts.size() > 256) return give_up();
    if (key == "vmap" && left.is_object() && left.contains("ct") && str_of(left["ct"], "key") != "state")
      return give_up();  // status bits are not exclusive: the alternatives could overlap
    for (const rule& base : alts) {
      for (const json& el : *els) {
        rule r = base;
        std::string w;
        if (key == "vmap") {
          if (!el.is_array() || el.size() != 2 || !el[1].is_object() || el[1].size() != 1) return give_up();
          json m = {{"op", "=="}, {"left", left}, {"right", el[0]}};
          if (!read_match(r, m, path + ".vmap", w)) return false;
          bool term = false;
          if (!read_expr(r, el[1].begin().key(), el[1].begin().value(), path + ".vmap", w, term)) return false;
          if (!term) return give_up();
        } else {
          if (!left["concat"].is_array() || !el.is_object() || !el.contains("concat") || !el["concat"].is_array() ||
              el["concat"].size() != left["concat"].size())
            return give_up();
          for (std::size_t k = 0; k < left["concat"].size(); ++k) {
            json m = {{"op", "=="}, {"left", left["concat"][k]}, {"right", el["concat"][k]}};
            if (!read_match(r, m, path + ".match", w)) return false;
          }
        }
        out.push_back(std::move(r));
      }
    }
    if (key == "vmap") terminal = true;
    return true;
  }

  // An expression in nft's own words, for rule texts and messages.
  std::string render(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return v.dump();
    if (v.is_object() && v.size() == 1) {
      const std::string& k = v.begin().key();
      const json& b = v.begin().value();
      if (k == "payload" && b.is_object()) return str_of(b, "protocol") + " " + str_of(b, "field");
      if (k == "meta" && b.is_object()) {
        std::string mk = str_of(b, "key");
        return mk == "iifname" || mk == "oifname" || mk == "iif" || mk == "oif" ? mk : "meta " + mk;
      }
      if (k == "ct" && b.is_object()) return "ct " + str_of(b, "key");
      if (k == "concat" && b.is_array()) {
        std::string out;
        for (auto& e : b) out += (out.empty() ? "" : " . ") + render(e);
        return out;
      }
      if ((k == "accept" || k == "drop" || k == "return" || k == "continue") && b.is_null()) return k;
      if ((k == "jump" || k == "goto") && b.is_object()) return k + " " + str_of(b, "target");
    }
    if (v.is_array() && v.size() == 2 && v[1].is_object() && v[1].size() == 1) {
      const std::string& k = v[1].begin().key();
      if (k == "accept" || k == "drop" || k == "return" || k == "jump" || k == "goto" || k == "continue")
        return render(v[0]) + " : " + render(v[1]);  // a verdict map element
    }
    if (v.is_array()) {
      std::string out;
      for (auto& e : v) out += (out.empty() ? "" : ",") + render(e);
      return out;
    }
    if (v.is_object() && v.contains("prefix") && v["prefix"].is_object())
      return render(v["prefix"].value("addr", json())) + "/" + v["prefix"].value("len", json()).dump();
    if (v.is_object() && v.contains("range") && v["range"].is_array() && v["range"].size() == 2)
      return render(v["range"][0]) + "-" + render(v["range"][1]);
    if (v.is_object() && v.contains("set")) {
      const json& s = v["set"];
      if (!s.is_array()) return "{ " + render(s) + " }";
      std::string out;
      for (auto& e : s) out += (out.empty() ? "" : ", ") + render(e);
      return "{ " + out + " }";
    }
    std::string d = v.dump();
    if (d.size() > 60) d = d.substr(0, 57) + "...";
    return d;
  }

  // The elements of a right-hand side: a set (anonymous or named "@name"), an array or one value.
  std::optional<std::vector<json>> elements(const json& v) {
    if (v.is_object() && v.contains("set")) {
      const json& s = v["set"];
      if (s.is_array()) return std::vector<json>(s.begin(), s.end());
      return std::vector<json>{s};
    }
    if (v.is_array()) return std::vector<json>(v.begin(), v.end());
    if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>()[0] == '@') {
      if (eager_) {  // the set may come later in the text, or again: read the rule at the end
        deferred_ = true;
        return std::nullopt;
      }
      auto it = sets_.find(cur_family_ + " " + cur_table_ + " " + v.get<std::string>().substr(1));
      if (it == sets_.end()) return std::nullopt;
      std::vector<json> out;
      for (auto& e : it->second.elements) {
        // Set elements may be wrapped: {"elem": {"val": ..., "counter": ...}}.
        if (e.is_object() && e.contains("elem") && e["elem"].is_object() && e["elem"].contains("val"))
          out.push_back(e["elem"]["val"]);
        else out.push_back(e);
      }
      return out;
    }
    return std::vector<json>{v};
  }

  static std::optional<ip_prefix> to_prefix(const json& v) {
    if (v.is_string()) {
      auto a = ip_address::parse(v.get<std::string>());
      if (!a) return std::nullopt;
      return ip_prefix{*a, a->bits()};
    }
    if (v.is_object() && v.contains("prefix") && v["prefix"].is_object()) {
      const json& p = v["prefix"];
      if (!p.contains("addr") || !p["addr"].is_string() || !p.contains("len") || !p["len"].is_number_unsigned())
        return std::nullopt;
      return ip_prefix::parse(p["addr"].get<std::string>() + "/" + std::to_string(p["len"].get<unsigned>()));
    }
    return std::nullopt;
  }

  static std::optional<std::uint16_t> to_port(const json& v) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 65535) return static_cast<std::uint16_t>(v.get<unsigned>());
    if (v.is_string()) return detail::parse_port(v.get<std::string>());
    return std::nullopt;
  }

  static std::optional<port_range> to_port_range(const json& v) {
    if (v.is_object() && v.contains("range") && v["range"].is_array() && v["range"].size() == 2) {
      auto lo = to_port(v["range"][0]), hi = to_port(v["range"][1]);
      if (!lo || !hi || *lo > *hi) return std::nullopt;
      return port_range{*lo, *hi};
    }
    auto p = to_port(v);
    if (!p) return std::nullopt;
    return port_range{*p, *p};
  }

  bool read_expr(rule& r, const std::string& key, const json& val, const std::string& path, std::string& word,
                 bool& terminal) {
    auto unknown = [&](const std::string& what) {
      r.match.unknown.push_back(what);
      word = what;
      return true;
    };
    if (key == "match") {
      match_path_.assign(path).append(".match");  // reused: read_match never comes back here
      return read_match(r, val, match_path_, word);
    }
    if (key == "counter" || key == "log" || key == "comment" || key == "notrack" || key == "mangle" ||
        key == "continue") {
      word = key == "log" && val.is_object() && val.contains("prefix") ? "log prefix \"" + render(val["prefix"]) + "\""
                                                                       : key;
      return true;
    }
    if (key == "accept" || key == "drop" || key == "reject" || key == "return") {
      r.act = key == "accept" ? action::accept : key == "drop" ? action::drop : key == "reject" ? action::reject : action::ret;
      word = key;
      terminal = true;
      return true;
    }
    if (key == "jump" || key == "goto") {
      std::string target = str_of(val, "target");
      if (target.empty()) {
        error(val, path + "." + key, "jump without target");
        return false;
      }
      r.act = key == "jump" ? action::jump : action::go;
      r.target = target;
      word = key + " " + target;
      terminal = true;
      return true;
    }
    if (key == "dnat" || key == "snat" || key == "masquerade" || key == "redirect") {
      r.act = key == "dnat" ? action::dnat : key == "snat" ? action::snat : key == "masquerade" ? action::masquerade : action::redirect;
      terminal = true;
      word = key;
      if (val.is_object()) {
        std::string fam = str_of(val, "family");
        if (fam == "ip") r.match.family = 4;
        else if (fam == "ip6") r.match.family = 6;
        if (val.contains("addr")) {
          const json& a = val["addr"];
          if (a.is_string()) {
            auto ad = ip_address::parse(a.get<std::string>());
            if (!ad) {
              error(val, path + "." + key + ".addr", "not an address", a.get<std::string>());
              return false;
            }
            r.to.addr = ad;
          } else if (a.is_object() && a.contains("range") && a["range"].is_array() && a["range"].size() == 2 &&
                     a["range"][0].is_string() && a["range"][1].is_string()) {
            r.to.addr = ip_address::parse(a["range"][0].get<std::string>());
            r.to.addr_last = ip_address::parse(a["range"][1].get<std::string>());
            if (!r.to.addr || !r.to.addr_last) {
              error(val, path + "." + key + ".addr", "not an address range");
              return false;
            }
          } else {
            // A map lookup or another expression: the target cannot be known statically.
            r.act = action::unknown;
            r.target = key + " to " + render(a);
          }
        }
        if (val.contains("port")) {
          auto pr = to_port_range(val["port"]);
          if (!pr) {
            r.act = action::unknown;
            r.target = key + " to port " + render(val["port"]);
          } else {
            r.to.ports = pr;
          }
        }
        if (r.to.addr || r.to.ports) {
          std::string a = r.to.addr ? r.to.addr->str() : "";
          if (r.to.addr && r.to.addr->v6) a = "[" + a + "]";
          if (r.to.addr_last) a += "-" + r.to.addr_last->str();
          if (r.to.ports) {
            a += ":" + std::to_string(r.to.ports->first);
            if (r.to.ports->last != r.to.ports->first) a += "-" + std::to_string(r.to.ports->last);
          }
          word += " to " + a;
        }
      }
      if (r.act == action::dnat && !r.to.addr && !r.to.ports) {
        error(val, path + "." + key, "dnat without address");
        return false;
      }
      if (r.act == action::snat && !r.to.addr) {
        error(val, path + "." + key, "snat without address");
        return false;
      }
      return true;
    }
    if (key == "queue" || key == "fwd" || key == "tproxy" || key == "synproxy") {
      r.act = action::unknown;
      r.target = key;
      terminal = true;
      word = key;
      return true;
    }
    if (key == "xt") {
      // iptables-nft compatibility: an xtables match or target inside an nft rule.
      std::string type = str_of(val, "type"), name = str_of(val, "name");
      word = "xt " + type + " " + name;
      if (type == "target") {
        r.act = action::unknown;
        r.target = "xt target " + name;
        terminal = true;
        return true;
      }
      r.match.unknown.push_back(word);
      return true;
    }
    if (key == "limit" || key == "quota" || key == "meter" || key == "ct count" || key == "set") {
      if (key == "set") {  // adds to a set: no effect on the verdict
        word = "set " + render(val);
        return true;
      }
      return unknown(key + " " + render(val));  // a filter that may or may not let the packet through
    }
    // A statement we do not know: it may be a verdict, so the rule's effect is unknown unless a
    // verdict follows.
    unknown(key + " " + render(val));
    if (r.act == action::none) {
      r.act = action::unknown;
      r.target = key;
    }
    return true;
  }

  bool read_match(rule& r, const json& m, const std::string& path, std::string& word) {
    if (!m.is_object() || !m.contains("left") || !m.contains("right")) {
      error(m, path, "match without left or right");
      return false;
    }
    std::string op = m.contains("op") && m["op"].is_string() ? m["op"].get<std::string>() : "==";
    const json& left = m["left"];
    const json& right = m["right"];
    bool neg = op == "!=";
    bool eq = op == "==" || op == "in" || op == "!=";
    std::string rtext = render(right);
    std::string optext = op == "==" || op == "in" ? "" : op + " ";
    auto unknown = [&](std::string what) {
      r.match.unknown.push_back(what);
      word = what;
      return true;
    };
    auto bad = [&](const std::string& what) {
      error(m, path, what, rtext);
      return false;
    };

    if (left.is_object() && left.contains("payload") && left["payload"].is_object()) {
      std::string proto = str_of(left["payload"], "protocol"), field = str_of(left["payload"], "field");
      std::string ltext = proto + " " + field;
      if (proto.empty() || field.empty()) return unknown(ltext + " " + optext + rtext);
      word = ltext + " " + optext + rtext;
      if ((proto == "ip" || proto == "ip6") && (field == "saddr" || field == "daddr")) {
        if (!eq) return unknown(word);
        auto els = elements(right);
        if (!els) return unknown(word);
        addr_match am;
        am.negated = neg;
        for (auto& e : *els) {
          if (e.is_object() && e.contains("range")) return unknown(word);
          auto p = to_prefix(e);
          if (!p) return bad("not an address or prefix");
          am.any_of.push_back(*p);
        }
        r.match.family = proto == "ip" ? 4 : 6;
        (field == "saddr" ? r.match.saddr : r.match.daddr) = std::move(am);
        return true;
      }
      if ((proto == "ip" && field == "protocol") || (proto == "ip6" && field == "nexthdr")) {
        return read_l4proto(r, right, neg, eq, word);
      }
      if ((proto == "tcp" || proto == "udp" || proto == "th") && (field == "dport" || field == "sport")) {
        port_match pm;
        pm.negated = neg;
        if (eq) {
          auto els = elements(right);
          if (!els) return unknown(word);
          for (auto& e : *els) {
            auto pr = to_port_range(e);
            if (!pr) return bad("not a port or port range");
            pm.any_of.push_back(*pr);
          }
        } else {
          auto p = to_port(right);
          if (!p) return bad("not a port");
          if (op == "<") {
            if (*p == 0) return unknown(word);
            pm.any_of.push_back({0, static_cast<std::uint16_t>(*p - 1)});
          } else if (op == "<=") pm.any_of.push_back({0, *p});
          else if (op == ">") {
            if (*p == 65535) return unknown(word);
            pm.any_of.push_back({static_cast<std::uint16_t>(*p + 1), 65535});
          } else if (op == ">=") pm.any_of.push_back({*p, 65535});
          else return unknown(word);
        }
        if (proto != "th") {
          int pn = proto == "tcp" ? proto_tcp : proto_udp;
          if (r.match.protocol_negated) return unknown(word);
          if (r.match.protocols.empty()) r.match.protocols = {pn};
          else if (std::find(r.match.protocols.begin(), r.match.protocols.end(), pn) != r.match.protocols.end())
            r.match.protocols = {pn};  // "meta l4proto { tcp, udp } tcp dport 53" is tcp only
          else return unknown(word);
        }
        (field == "dport" ? r.match.dport : r.match.sport) = std::move(pm);
        return true;
      }
      return unknown(word);
    }
    if (left.is_object() && left.contains("meta") && left["meta"].is_object()) {
      std::string key = str_of(left["meta"], "key");
      word = "meta " + key + " " + optext + rtext;
      if (key == "iifname" || key == "oifname" || key == "iif" || key == "oif") {
        word = key + " " + optext + "\"" + rtext + "\"";
        if (!eq || !right.is_string()) return unknown(word);
        auto name = right.get<std::string>();
        if (!name.empty() && name[0] == '@') return unknown(word);
        iface_match im{name, neg};
        (key[0] == 'i' ? r.match.iif : r.match.oif) = std::move(im);
        return true;
      }
      if (key == "l4proto") return read_l4proto(r, right, neg, eq, word);
      if (key == "nfproto") {
        if (!eq || !right.is_string()) return unknown(word);
        auto v = right.get<std::string>();
        if (v == "ipv4") r.match.family = neg ? 6 : 4;
        else if (v == "ipv6") r.match.family = neg ? 4 : 6;
        else return unknown(word);
        return true;
      }
      return unknown(word);
    }
    if (left.is_object() && left.contains("ct") && left["ct"].is_object()) {
      std::string key = str_of(left["ct"], "key");
      word = "ct " + key + " " + optext + rtext;
      if ((key != "state" && key != "status") || !eq || left["ct"].contains("dir")) return unknown(word);
      auto els = elements(right);
      if (!els) return unknown(word);
      ct_match cm;
      cm.negated = neg;
      for (auto& e : *els) {
        if (!e.is_string()) return bad("not a connection state");
        auto s = e.get<std::string>();
        if (key == "state") {
          if (s == "new") cm.any_of |= ct_new;
          else if (s == "established") cm.any_of |= ct_established;
          else if (s == "related") cm.any_of |= ct_related;
          else if (s == "invalid") cm.any_of |= ct_invalid;
          else if (s == "untracked") cm.any_of |= ct_untracked;
          else return bad("unknown connection state");
        } else {
          if (s == "dnat") cm.any_of |= ct_dnat;
          else if (s == "snat") cm.any_of |= ct_snat;
          else return unknown(word);  // expected, seen-reply, assured, confirmed, dying
        }
      }
      r.match.ct.push_back(cm);
      return true;
    }
    if (left.is_object() && left.contains("fib") && left["fib"].is_object()) {
      const json& f = left["fib"];
      word = "fib " + render(f.value("flags", json())) + " " + str_of(f, "result") + " " + optext + rtext;
      bool daddr_only = f.contains("flags") &&
                        ((f["flags"].is_array() && f["flags"].size() == 1 && f["flags"][0] == "daddr") ||
                         f["flags"] == "daddr");
      if (str_of(f, "result") != "type" || !daddr_only || !eq) return unknown(word);
      auto els = elements(right);
      if (!els || els->size() != 1 || !(*els)[0].is_string() || (*els)[0].get<std::string>() != "local")
        return unknown(word);
      r.match.dst_local = !neg;
      return true;
    }
    return unknown(render(left) + " " + optext + rtext);
  }

  bool read_l4proto(rule& r, const json& right, bool neg, bool eq, const std::string& word) {
    auto unknown = [&] {
      r.match.unknown.push_back(word);
      return true;
    };
    if (!eq) return unknown();
    auto els = elements(right);
    if (!els || els->empty()) return unknown();
    std::vector<int> protos;
    for (const json& v : *els) {
      std::optional<int> p;
      if (v.is_string()) p = detail::protocol_number(v.get<std::string>());
      else if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 255) p = static_cast<int>(v.get<unsigned>());
      if (!p) return unknown();
      protos.push_back(*p);
    }
    if (!r.match.protocols.empty()) return unknown();  // two protocol tests in one rule: not simulated
    r.match.protocols = protos;
    r.match.protocol_negated = neg;
    return true;
  }

  std::string_view text_;
  std::string file_;
  diagnostics& diags_;
  line_index lines_;
  std::vector<std::size_t> offsets_;  // the byte offset of every object and array, in document order
  ruleset* rs_ = nullptr;
  // The parse: open containers, the document's keys, the item being built.
  std::size_t container_ = 0;  // objects and arrays begun so far
  std::size_t depth_ = 0;      // open objects and arrays
  bool top_container_ = false, top_object_ = false;
  std::size_t top_offset_ = 0;
  std::map<std::string, bool> top_keys_;  // the document's keys: is the value an object or array
  const std::string* top_key_ = nullptr;
  bool seen_nftables_ = false, nftables_array_ = false, in_nftables_ = false;
  std::size_t item_number_ = 0;
  std::unique_ptr<json> item_;
  std::vector<json*> stack_;  // the open objects and arrays of item_
  json* slot_ = nullptr;      // where the next value of an object goes
  item_positions item_positions_;
  bool positions_lost_ = false;  // a duplicate key dropped an object or array: positions unknown
  // The reading.
  const item_positions* positions_ = nullptr;  // of the item being read
  std::vector<held_diagnostic>* held_ = nullptr;
  std::vector<held_diagnostic> first_pass_diags_;  // chains, sets, malformed items
  std::exception_ptr first_pass_failed_;
  std::vector<rule_item> rule_items_;
  bool eager_ = false;     // reading while the text is parsed: chains and sets may come later
  bool deferred_ = false;  // the rule being read needs the whole text
  std::map<std::string, named_set> sets_;
  std::unordered_map<std::string, std::size_t> chains_;  // detail::chain_key() -> number in rs.chains
  std::string key_buf_;  // key_of()
  std::string rule_path_, expr_path_, match_path_;  // message paths, reused from rule to rule
  std::string cur_family_, cur_table_;
};

}  // namespace

ruleset parse_nft_json(std::string_view text, const std::string& file, diagnostics& diags) {
  reader rd(text, file, diags);
  try {
    return rd.run();
  } catch (const nlohmann::json::exception& e) {
    // A value of an unexpected type the checks above missed: report it, never crash.
    diags.error({file, 0, 0}, std::string("unexpected JSON content: ") + e.what());
    ruleset rs;
    rs.syntax = rule_syntax::nft;
    rs.file = file;
    return rs;
  }
}

}  // namespace hc::nat
