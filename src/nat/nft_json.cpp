// Reader for `nft -j list ruleset`: tables, chains (hook, priority, policy), named sets and rules,
// with the expressions the simulator understands; anything else is kept as an unknown match.

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <cstdint>
#include <string_view>
#include <type_traits>
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

using namespace std::string_view_literals;  // == "word"sv: the length is known, no strlen per compare

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
    const char* begin = text.data();
    const char* end = begin + text.size();
    for (const char* p = begin; p < end;) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      if (!nl) break;
      p = static_cast<const char*>(nl) + 1;
      starts.push_back(static_cast<std::size_t>(p - begin));
    }
  }
  std::pair<std::uint32_t, std::uint32_t> at(std::size_t off) const {
    auto it = std::upper_bound(starts.begin(), starts.end(), off);
    std::size_t line = static_cast<std::size_t>(it - starts.begin());
    return {static_cast<std::uint32_t>(line), static_cast<std::uint32_t>(off - starts[line - 1] + 1)};
  }
  std::vector<std::size_t> starts;
};


// The fast path: a value of a JSON text that is plain (ASCII strings without escapes, integers,
// no duplicate keys), parsed by fast_parser below into a per-item arena and read through the
// same subset of nlohmann's interface as `json`, so that the reading code is the same for both.
// Its strings point into the text. Anything else makes the fast parser give up, and the text is
// read again by nlohmann's parser (the same outcome, messages included, by construction).
// 48 bytes: the parser copies each node twice (its open container's list, then the arena), so the
// value is one union read by type.
struct fnode {
  enum class type : std::uint8_t { null, boolean, integer, unsigned_integer, string, array, object };
  std::string_view key;  // in an object
  union {
    std::string_view s{};  // string
    const fnode* kids;     // array, object: n of them
    std::int64_t i;        // integer
    std::uint64_t u;       // unsigned_integer
    bool b;                // boolean
  };
  std::size_t off = std::string::npos;  // the byte offset of an object or array
  std::uint32_t n = 0;                  // elements of an array or object
  type t = type::null;
};
static_assert(sizeof(fnode) <= 48);

class fv {
 public:
  fv() : n_(&null_node()) {}
  explicit fv(const fnode* n, bool placed = true) : n_(n), placed_(placed) {}
  // Whether the value is where the text has it: a value read through a copy on the nlohmann path
  // (the elements of a set, value()) has no position there, and none here either.
  bool placed() const { return placed_; }
  fv unplaced() const { return fv(n_, false); }
  static const fnode& null_node() {
    static const fnode n{};
    return n;
  }
  const fnode* node() const { return n_; }
  bool is_null() const { return n_->t == fnode::type::null; }
  bool is_object() const { return n_->t == fnode::type::object; }
  bool is_array() const { return n_->t == fnode::type::array; }
  bool is_string() const { return n_->t == fnode::type::string; }
  bool is_number_unsigned() const { return n_->t == fnode::type::unsigned_integer; }
  bool is_number_integer() const { return is_number_unsigned() || n_->t == fnode::type::integer; }
  bool is_number() const { return is_number_integer(); }
  std::size_t size() const {
    if (is_null()) return 0;
    return is_object() || is_array() ? n_->n : 1;
  }
  const fnode* find(std::string_view k) const {
    if (!is_object()) return nullptr;
    for (std::uint32_t j = 0; j < n_->n; ++j) {  // keys are short and differ early: no call for most
      std::string_view key = n_->kids[j].key;
      if (key.size() == k.size() && (k.empty() || key[0] == k[0]) && std::memcmp(key.data(), k.data(), k.size()) == 0)
        return &n_->kids[j];
    }
    return nullptr;
  }
  bool contains(std::string_view k) const { return find(k) != nullptr; }
  fv operator[](std::string_view k) const {
    const fnode* f = find(k);
    return f ? fv(f, placed_) : fv();
  }
  fv operator[](std::size_t j) const {
    return (is_array() || is_object()) && j < n_->n ? fv(&n_->kids[j], placed_) : fv();
  }
  fv value(std::string_view k, fv def) const {  // a copy on the nlohmann path
    const fnode* f = find(k);
    return f ? fv(f, false) : def.unplaced();
  }
  bool operator==(const char* str) const { return is_string() && n_->s == str; }
  template <typename T>
  T get() const {
    if constexpr (std::is_same_v<T, std::string>) {
      return std::string(n_->s);
    } else {
      if (n_->t == fnode::type::unsigned_integer) return static_cast<T>(n_->u);
      return n_->t == fnode::type::integer ? static_cast<T>(n_->i) : T{};
    }
  }
  class iterator;
  iterator begin() const;
  iterator end() const;
  json to_json() const {
    switch (n_->t) {
      case fnode::type::null: return json(nullptr);
      case fnode::type::boolean: return json(n_->b);
      case fnode::type::integer: return json(n_->i);
      case fnode::type::unsigned_integer: return json(n_->u);
      case fnode::type::string: return json(std::string(n_->s));
      case fnode::type::array: {
        json out = json::array();
        for (std::uint32_t j = 0; j < n_->n; ++j) out.push_back(fv(&n_->kids[j]).to_json());
        return out;
      }
      case fnode::type::object: {
        json out = json::object();
        for (std::uint32_t j = 0; j < n_->n; ++j) out[std::string(n_->kids[j].key)] = fv(&n_->kids[j]).to_json();
        return out;
      }
    }
    return json();
  }
  std::string dump() const {
    if (n_->t == fnode::type::unsigned_integer) return std::to_string(n_->u);
    if (n_->t == fnode::type::integer) return std::to_string(n_->i);
    return to_json().dump();
  }

 private:
  const fnode* n_;
  bool placed_ = true;
};

class fv::iterator {
 public:
  iterator(const fnode* p, bool placed) : cur_(p, placed) {}
  const fv& operator*() const { return cur_; }
  iterator& operator++() {
    cur_ = fv(cur_.n_ + 1, cur_.placed_);
    return *this;
  }
  bool operator!=(const iterator& o) const { return cur_.n_ != o.cur_.n_; }
  std::string_view key() const { return cur_.n_->key; }
  fv value() const { return cur_; }

 private:
  fv cur_;
};
fv::iterator fv::begin() const { return iterator(is_array() || is_object() ? n_->kids : n_, placed_); }
fv::iterator fv::end() const { return iterator(is_array() || is_object() ? n_->kids + n_->n : n_, placed_); }

// Blocks of nodes handed out in order; rewound to a mark to reuse them for the next item.
class node_arena {
 public:
  struct mark {
    std::size_t block = 0, used = 0;
  };
  fnode* alloc(std::size_t n) {
    if (blocks_.empty()) {
      blocks_.emplace_back(std::max<std::size_t>(n, block_size));
      cur_ = used_ = 0;
    }
    while (true) {
      if (blocks_[cur_].size - used_ >= n) {
        fnode* p = blocks_[cur_].nodes.get() + used_;
        used_ += n;
        return p;
      }
      if (used_ == 0) {  // a block too small for n: make it bigger
        blocks_[cur_] = block(std::max<std::size_t>(n, block_size));
        continue;
      }
      if (cur_ + 1 == blocks_.size()) blocks_.emplace_back(std::max<std::size_t>(n, block_size));
      ++cur_;
      used_ = 0;
    }
  }
  mark where() const { return {cur_, used_}; }
  void rewind(mark m) {
    cur_ = m.block;
    used_ = m.used;
  }

 private:
  static constexpr std::size_t block_size = 4096;
  struct block {
    explicit block(std::size_t n) : nodes(new fnode[n]), size(n) {}
    std::unique_ptr<fnode[]> nodes;
    std::size_t size;
  };
  std::vector<block> blocks_;
  std::size_t cur_ = 0, used_ = 0;
};

template <typename V>
struct named_set {
  std::vector<V> elements;
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
template <typename V>
struct rule_item {
  std::size_t number = 0;                // in the "nftables" array
  std::size_t chain = 0;                 // in rs.chains, when read
  std::vector<rule> rules;               // what it gave, when read
  std::vector<held_diagnostic> diags;    // and its diagnostics
  std::exception_ptr failed;             // an unexpected value stopped the reading
  std::unique_ptr<V> parsed;             // when not read yet
  item_positions positions;              // of `parsed`
};

template <typename V>
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
    finish(rs);
    return rs;
  }

  // The fast path (V = fv): the same reading on a plain text (see fnode), or nothing when the text
  // is not plain (then nothing was reported).
  std::optional<ruleset> run_fast();

  // After the parse: the diagnostics held, the rules kept for the end, the jumps, the index.
  void finish(ruleset& rs) {
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
    // Every jump resolved here, once: the index takes the chain numbers (detail::resolve_jumps()).
    detail::jump_targets jumps;
    jumps.first.reserve(rs.chains.size() + 1);
    // A chain's jumps often go to chains declared one after the other (a chain per address): the
    // chain after the last target is tried by its names before the map.
    for (auto& c : rs.chains) {
      jumps.first.push_back(static_cast<std::uint32_t>(jumps.target.size()));
      std::size_t next = rs.chains.size();
      for (auto& r : c.rules) {
        std::uint32_t t = detail::jump_targets::none;
        if (r.act == action::jump || r.act == action::go) {
          if (next < rs.chains.size() && is_chain(rs.chains[next], c.family, c.table, r.target)) {
            t = static_cast<std::uint32_t>(next);
            ++next;
          } else if (auto it = chains_.find(key_of(c.family, c.table, r.target)); it != chains_.end()) {
            next = it->second + 1;
            t = static_cast<std::uint32_t>(it->second);
          } else {
            diags_.error(r.where, "jump to an undeclared chain", r.target);
            r.act = action::unknown;
          }
        }
        jumps.target.push_back(t);
      }
    }
    jumps.first.push_back(static_cast<std::uint32_t>(jumps.target.size()));
    // The same map as detail::chains_by_key(rs), the same jumps as detail::resolve_jumps().
    detail::reindex(rs, std::move(chains_), std::move(jumps));
    chains_.clear();
    last_chain_.reset();
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
        item_duplicate_key_ = true;
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
      if (*top_key_ == "nftables"sv) start_nftables(false);
      return true;
    }
    if (depth_ == 2 && in_nftables_) {
      item_ = std::make_unique<json>(std::move(v));
      item_positions_.in_order.clear();
      item_positions_.hashed.clear();
      on_item(std::move(item_));
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
      item_offsets_.push_back(off);
      stack_.push_back(made);
    } else if (depth_ == 0) {
      top_container_ = true;
      top_object_ = type == json::value_t::object;
      top_offset_ = off;
    } else if (depth_ == 1 && top_object_) {
      top_keys_[*top_key_] = true;
      if (*top_key_ == "nftables"sv) start_nftables(type == json::value_t::array);
    } else if (depth_ == 2 && in_nftables_) {
      item_ = std::make_unique<json>(type);
      item_positions_.in_order.clear();
      item_positions_.hashed.clear();
      item_positions_.in_order.emplace_back(item_.get(), off);
      item_offsets_.assign(1, off);
      item_duplicate_key_ = false;
      stack_.push_back(item_.get());
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (!stack_.empty()) {
      stack_.pop_back();
      if (stack_.empty()) {
        place_positions();
        on_item(std::move(item_));
      }
    } else if (depth_ == 1) {
      in_nftables_ = false;
    }
    return true;
  }

  // The item is complete: its objects and arrays, in document order, are those of the text in
  // order. The addresses taken while it was built moved as its arrays and objects grew, so the
  // positions are paired again with the values where they now are. With a duplicate key (a value
  // dropped or put in an earlier place) the order differs: then the positions are as they were.
  void place_positions() {
    if (item_duplicate_key_) return;
    std::vector<std::pair<const json*, std::size_t>> placed;
    placed.reserve(item_offsets_.size());
    std::size_t k = 0;
    auto walk = [&](auto& self, const json& j) -> void {
      if (!j.is_object() && !j.is_array()) return;
      placed.emplace_back(&j, k < item_offsets_.size() ? item_offsets_[k] : 0);
      ++k;
      for (const auto& e : j) self(self, e);
    };
    walk(walk, *item_);
    if (k != item_offsets_.size()) return;
    item_positions_.in_order = std::move(placed);
    item_positions_.hashed.clear();
  }

  // The value of "nftables" begins (again: the last one counts, as in a parsed document).
  void start_nftables(bool is_array) {
    if (seen_nftables_) {
      rs_->chains.clear();
      chains_.clear();
      last_chain_.reset();
      sets_.clear();
      first_pass_diags_.clear();
      first_pass_failed_ = nullptr;
      rule_items_.clear();
      any_deferred_ = false;
    }
    seen_nftables_ = true;
    nftables_array_ = is_array;
    in_nftables_ = is_array;
    item_number_ = 0;
  }

  // An item of the "nftables" array was parsed: chains and sets are read now; rules when their
  // chain and sets are known, else at the end.
  // Returns whether the item is referred to after this call (a rule read at the end, a set).
  bool on_item(std::unique_ptr<V> item) {
    std::size_t number = item_number_++;
    const V& it = *item;
    positions_ = &item_positions_;
    if (!it.is_object() || it.size() != 1) {
      if (!first_pass_failed_) {
        held_ = &first_pass_diags_;
        std::string path = fmt::format("nftables[{}]", number);
        hold(loc(it, path), path + ": expected an object with one key");
      }
      return false;
    }
    std::string_view kind = it.begin().key();
    const V& body = it.begin().value();
    if (kind == "chain"sv || kind == "set"sv || kind == "map"sv) {
      if (first_pass_failed_) return false;
      held_ = &first_pass_diags_;
      try {
        if (kind == "chain"sv) {
          rule_path_.clear();  // the rule's buffer: the path is only read in messages
          rule_path_.append("nftables[");
          append_number(rule_path_, number);
          rule_path_.append("].chain");
          read_chain(*rs_, body, rule_path_);
        }
        else read_set(body);
      } catch (const json::exception&) {
        first_pass_failed_ = std::current_exception();
      }
      return kind != "chain"sv;
    }
    if (kind != "rule"sv) return false;
    rule_item<V>& ri = rule_items_.emplace_back();
    ri.number = number;
    held_ = &ri.diags;
    eager_ = true;
    deferred_ = false;
    rule_path_.clear();  // a buffer reused for every rule: the path is only read in messages
    rule_path_.append("nftables[");
    append_number(rule_path_, number);
    rule_path_.append("].rule");
    read_rule(body, rule_path_, ri);
    if (deferred_) {
      ri.rules.clear();
      ri.diags.clear();
      ri.failed = nullptr;
      ri.parsed = std::move(item);
      ri.positions = std::move(item_positions_);
      item_positions_ = item_positions{};
      any_deferred_ = true;
      return true;
    }
    if (!any_deferred_) {  // every rule before it is in its chain already: this one goes there now
      if (!ri.rules.empty()) {
        auto& into = rs_->chains[ri.chain].rules;
        make_room(into, ri.rules.size(), it);
        if (into.empty() && into.capacity() < ri.rules.size()) into = std::move(ri.rules);
        else into.insert(into.end(), std::make_move_iterator(ri.rules.begin()), std::make_move_iterator(ri.rules.end()));
        ri.rules.clear();
      }
      if (ri.diags.empty() && !ri.failed) rule_items_.pop_back();  // nothing left to give at the end
    }
    return false;
  }

  // Before `adding` rules go into a chain that holds many (the prerouting chain of 10^5 jumps), or
  // a chain into a rule set of many: when they do not fit, room for the items the rest of the text
  // may hold at the rate of the text read so far (at least double), instead of doubling again and
  // again: each growth moves every rule or chain (hundreds of bytes each) into new pages. Room not
  // used is address space only (pages are touched as items arrive). Only the fast path knows where
  // `item` (or a value in it) starts.
  template <class T>
  void make_room(std::vector<T>& into, std::size_t adding, const V& item) {
    constexpr std::size_t many = 4096;
    constexpr std::size_t least_item_bytes = 48;  // {"rule":{"family":"ip","table":"t","chain":"c","expr":[]}}
    if (into.size() < many || into.size() + adding <= into.capacity()) return;
    std::size_t want = 2 * into.capacity();
    if constexpr (std::is_same_v<V, fv>) {
      std::size_t off = item.node()->off;
      if (off != std::string::npos && off < text_.size()) {
        std::size_t per_item = std::max(least_item_bytes, off / item_number_);  // item_number_ >= 1 here
        want = std::max(want, into.size() + adding + (text_.size() - off) / per_item);
      }
    }
    into.reserve(std::max(want, into.size() + adding));
  }

  // Reads a rule item into `ri` (rules, chain, diagnostics); an unexpected value is kept in
  // ri.failed.
  void read_rule(const V& body, const std::string& path, rule_item<V>& ri) {
    if constexpr (std::is_same_v<V, fv>) scratch_.rewind({});
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

  source_location loc(const V& j, const std::string& /*path*/) const {
    source_location at{file_, 0, 0};
    if constexpr (std::is_same_v<V, fv>) {
      if (j.placed() && j.node()->off != std::string::npos) std::tie(at.line, at.column) = lines_.at(j.node()->off);
    } else {
      if (auto off = positions_->find(&j)) std::tie(at.line, at.column) = lines_.at(*off);
    }
    return at;
  }
  void error(const V& j, const std::string& path, const std::string& message, std::string near = {}) {
    hold(loc(j, path), path + ": " + message, std::move(near));
  }

  // Appends n in decimal (what fmt's "{}" gives), without formatting machinery: once per expression.
  static void append_number(std::string& out, std::size_t n) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
  }

  static bool is_chain(const chain& c, std::string_view family, std::string_view table, std::string_view name) {
    return c.name == name && c.table == table && c.family == family;
  }

  // detail::chain_key() in a buffer reused for every look-up (no allocation per rule).
  const std::string& key_of(std::string_view family, std::string_view table, std::string_view name) {
    key_buf_.clear();
    key_buf_.append(family).push_back('\0');
    key_buf_.append(table).push_back('\0');
    key_buf_.append(name);
    return key_buf_;
  }

  static std::string str_of(const V& obj, std::string_view key) {
    if (!obj.is_object()) return {};
    if constexpr (std::is_same_v<V, fv>) {  // one look-up, no copy of the key
      const fnode* f = obj.find(key);
      return f && f->t == fnode::type::string ? std::string(f->s) : std::string();
    } else {
      auto it = obj.find(key);
      return it != obj.end() && it->is_string() ? it->template get<std::string>() : std::string();
    }
  }

  // The families that route IPv4/IPv6 through NAT; arp, bridge and netdev tables are skipped.
  static bool wanted_family(const std::string& f) { return f == "ip"sv || f == "inet"sv || f == "ip6"sv; }
  static bool known_family(const std::string& f) {
    return wanted_family(f) || f == "arp"sv || f == "bridge"sv || f == "netdev"sv;
  }

  void read_chain(ruleset& rs, const V& body, const std::string& path) {
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
      const V& p = body["prio"];
      if (p.is_number_integer()) c.priority = p.template get<int>();
      else if (p.is_string()) {
        static const std::map<std::string, int> names = {{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
                                                         {"filter", 0}, {"security", 50}, {"srcnat", 100}};
        auto it = names.find(p.template get<std::string>());
        if (it == names.end()) return error(p, path + ".prio", "unknown chain priority", p.template get<std::string>());
        c.priority = it->second;
      } else {
        return error(body, path + ".prio", "chain priority is not a number");
      }
    }
    std::string policy = str_of(body, "policy");
    if (policy == "drop"sv) c.policy_drop = true;
    else if (!policy.empty() && policy != "accept"sv) return error(body, path + ".policy", "unknown chain policy", policy);
    if (!chains_.emplace(detail::chain_key(c.family, c.table, c.name), rs.chains.size()).second)
      return error(body, path, "chain listed twice", c.name);
    make_room(rs.chains, 1, body);
    rs.chains.push_back(std::move(c));
  }

  void read_set(const V& body) {
    if (!body.is_object()) return;
    std::string key = str_of(body, "family") + " " + str_of(body, "table") + " " + str_of(body, "name");
    named_set<V> s;
    if (body.contains("elem") && body["elem"].is_array())
      for (auto& e : body["elem"]) s.elements.push_back(copied(e));
    sets_[key] = std::move(s);
  }

  void read_rule(ruleset& rs, const V& body, const std::string& path, rule_item<V>& ri) {
    if (!body.is_object()) return error(body, path, "a rule must be an object");
    std::string family = str_of(body, "family"), table = str_of(body, "table"), cname = str_of(body, "chain");
    if (family.empty() || table.empty() || cname.empty()) return error(body, path, "rule without family, table or chain");
    if (!known_family(family)) return error(body, path, "unknown family", family);
    if (!wanted_family(family)) return;
    // `nft -j` lists the chains, then their rules in the same order, a chain's one after the other:
    // the chain of the rule before, then the chain declared after it, are tried by their names
    // before the map (chain numbers never change once given).
    std::optional<std::size_t> chain_number;
    for (std::size_t c : {last_chain_.value_or(rs.chains.size()), last_chain_ ? *last_chain_ + 1 : 0})
      if (c < rs.chains.size() && is_chain(rs.chains[c], family, table, cname)) {
        chain_number = c;
        break;
      }
    if (!chain_number)
      if (auto found = chains_.find(key_of(family, table, cname)); found != chains_.end()) chain_number = found->second;
    if (chain_number) last_chain_ = chain_number;
    if (!chain_number) {
      if (eager_) {  // the chain may come later in the text
        deferred_ = true;
        return;
      }
      return error(body, path, "rule for an undeclared chain", cname);
    }
    ri.chain = *chain_number;
    std::vector<rule> alts(1);  // the rule, or its alternatives (expand)
    rule& r = alts[0];
    r.where = loc(body, path);
    if (body.contains("handle") && body["handle"].is_number_unsigned()) r.handle = body["handle"].template get<std::uint64_t>();
    if (!body.contains("expr") || !body["expr"].is_array()) return error(body, path, "rule without \"expr\" array");
    if (family == "ip"sv) r.match.family = 4;
    else if (family == "ip6"sv) r.match.family = 6;
    cur_family_ = family;
    cur_table_ = table;
    std::string text;  // the words of the expressions, joined by spaces
    bool terminal = false;
    const V& exprs = body["expr"];
    for (std::size_t k = 0; k < exprs.size(); ++k) {
      std::string& epath = expr_path_;  // reused: read_rule is not re-entered
      epath.clear();
      epath.append(path).append(".expr[");
      append_number(epath, k);
      epath.push_back(']');
      const V& e = exprs[k];
      if (!e.is_object() || e.size() != 1) {
        error(e, epath, "expected an object with one key");
        return;
      }
      if (terminal) {
        error(e, epath, "expression after the rule's verdict");
        return;
      }
      std::string_view key = e.begin().key();
      const V& val = e.begin().value();
      std::string word;
      bool is_concat = key == "match"sv && val.is_object() && val.contains("left") && val["left"].is_object() &&
                       val["left"].contains("concat");
      if (key == "vmap"sv || is_concat) {
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
      if (!word.empty()) {
        if (!text.empty()) text += ' ';
        text += word;
      }
    }
    for (std::size_t a = 0; a + 1 < alts.size(); ++a) alts[a].text = text;
    alts.back().text = std::move(text);
    if (ri.rules.empty()) {
      ri.rules = std::move(alts);
    } else {
      ri.rules.insert(ri.rules.end(), std::make_move_iterator(alts.begin()), std::make_move_iterator(alts.end()));
    }
  }

  // Expands a concatenation match or a verdict map into one rule per element.
  bool expand(const std::vector<rule>& alts, std::string_view key, const V& val, const std::string& path,
              std::vector<rule>& out, std::string& word, bool& terminal) {
    if (!val.is_object() || (key == "vmap"sv ? !val.contains("key") || !val.contains("data") : !val.contains("right"))) {
      error(val, path, key == "vmap"sv ? "vmap without key or data" : "match without right");
      return false;
    }
    const V& left = key == "vmap"sv ? val.value("key", V()) : val["left"];
    const V& right = key == "vmap"sv ? val.value("data", V()) : val["right"];
    std::string op = key == "vmap"sv ? "==" : (val.contains("op") && val["op"].is_string() ? val["op"].template get<std::string>() : "==");
    word = key == "vmap"sv ? render(left) + " vmap " + render(right) : render(left) + " " + render(right);
    auto give_up = [&] {
      for (rule r : alts) {
        r.match.unknown.push_back(word);
        if (key == "vmap"sv) r.act = action::unknown, r.target = "vmap";
        out.push_back(std::move(r));
      }
      if (key == "vmap"sv) terminal = true;
      return true;
    };
    auto els = elements(right);
    if (!els || els->empty() || (op != "=="sv && op != "in"sv) || els->size() * alts.size() > 256) return give_up();
    if (key == "vmap"sv && left.is_object() && left.contains("ct") && str_of(left["ct"], "key") != "state"sv)
      return give_up();  // status bits are not exclusive: the alternatives could overlap
    for (const rule& base : alts) {
      for (const V& el : *els) {
        rule r = base;
        std::string w;
        if (key == "vmap"sv) {
          if (!el.is_array() || el.size() != 2 || !el[1].is_object() || el[1].size() != 1) return give_up();
          V m = make_match(left, el[0]);
          if (!read_match(r, m, path + ".vmap", w)) return false;
          bool term = false;
          if (!read_expr(r, el[1].begin().key(), el[1].begin().value(), path + ".vmap", w, term)) return false;
          if (!term) return give_up();
        } else {
          if (!left["concat"].is_array() || !el.is_object() || !el.contains("concat") || !el["concat"].is_array() ||
              el["concat"].size() != left["concat"].size())
            return give_up();
          for (std::size_t k = 0; k < left["concat"].size(); ++k) {
            V m = make_match(left["concat"][k], el["concat"][k]);
            if (!read_match(r, m, path + ".match", w)) return false;
          }
        }
        out.push_back(std::move(r));
      }
    }
    if (key == "vmap"sv) terminal = true;
    return true;
  }

  // {"op": "==", "left": left, "right": right}, at no position.
  V make_match(const V& left, const V& right) {
    if constexpr (std::is_same_v<V, fv>) {
      fnode* kids = scratch_.alloc(3);
      kids[0] = fnode{};
      kids[0].t = fnode::type::string;
      kids[0].s = "==";
      kids[0].key = "op";
      kids[1] = *left.node();
      kids[1].key = "left";
      kids[2] = *right.node();
      kids[2].key = "right";
      fnode* m = scratch_.alloc(1);
      *m = fnode{};
      m->t = fnode::type::object;
      m->n = 3;
      m->kids = kids;
      return fv(m, false);
    } else {
      return json{{"op", "=="}, {"left", left}, {"right", right}};
    }
  }

  // An expression in nft's own words, for rule texts and messages.
  std::string render(const V& v) {
    if (v.is_string()) return v.template get<std::string>();
    if (v.is_number()) return v.dump();
    if (v.is_object() && v.size() == 1) {
      std::string_view k = v.begin().key();
      const V& b = v.begin().value();
      if (k == "payload"sv && b.is_object()) return str_of(b, "protocol") + " " + str_of(b, "field");
      if (k == "meta"sv && b.is_object()) {
        std::string mk = str_of(b, "key");
        return mk == "iifname"sv || mk == "oifname"sv || mk == "iif"sv || mk == "oif"sv ? mk : "meta " + mk;
      }
      if (k == "ct"sv && b.is_object()) return "ct " + str_of(b, "key");
      if (k == "concat"sv && b.is_array()) {
        std::string out;
        for (auto& e : b) out += (out.empty() ? "" : " . ") + render(e);
        return out;
      }
      if ((k == "accept"sv || k == "drop"sv || k == "return"sv || k == "continue"sv) && b.is_null()) return std::string(k);
      if ((k == "jump"sv || k == "goto"sv) && b.is_object()) return std::string(k) + " " + str_of(b, "target");
    }
    if (v.is_array() && v.size() == 2 && v[1].is_object() && v[1].size() == 1) {
      std::string_view k = v[1].begin().key();
      if (k == "accept"sv || k == "drop"sv || k == "return"sv || k == "jump"sv || k == "goto"sv || k == "continue"sv)
        return render(v[0]) + " : " + render(v[1]);  // a verdict map element
    }
    if (v.is_array()) {
      std::string out;
      for (auto& e : v) out += (out.empty() ? "" : ",") + render(e);
      return out;
    }
    if (v.is_object() && v.contains("prefix") && v["prefix"].is_object())
      return render(v["prefix"].value("addr", V())) + "/" + v["prefix"].value("len", V()).dump();
    if (v.is_object() && v.contains("range") && v["range"].is_array() && v["range"].size() == 2)
      return render(v["range"][0]) + "-" + render(v["range"][1]);
    if (v.is_object() && v.contains("set")) {
      const V& s = v["set"];
      if (!s.is_array()) return "{ " + render(s) + " }";
      std::string out;
      for (auto& e : s) out += (out.empty() ? "" : ", ") + render(e);
      return "{ " + out + " }";
    }
    std::string d = v.dump();
    if (d.size() > 60) d = d.substr(0, 57) + "...";
    return d;
  }

  // A copy of v, as the nlohmann path makes it: without a position.
  static V copied(const V& v) {
    if constexpr (std::is_same_v<V, fv>) return v.unplaced();
    else return v;
  }
  static std::vector<V> all_of(const V& s) {
    std::vector<V> out;
    out.reserve(s.size());
    for (const auto& e : s) out.push_back(copied(e));
    return out;
  }

  // The elements of a right-hand side: a set (anonymous or named "@name"), an array or one value.
  std::optional<std::vector<V>> elements(const V& v) {
    if (v.is_object() && v.contains("set")) {
      const V& s = v["set"];
      if (s.is_array()) return all_of(s);
      return std::vector<V>{copied(s)};
    }
    if (v.is_array()) return all_of(v);
    if (v.is_string() && !v.template get<std::string>().empty() && v.template get<std::string>()[0] == '@') {
      if (eager_) {  // the set may come later in the text, or again: read the rule at the end
        deferred_ = true;
        return std::nullopt;
      }
      auto it = sets_.find(cur_family_ + " " + cur_table_ + " " + v.template get<std::string>().substr(1));
      if (it == sets_.end()) return std::nullopt;
      std::vector<V> out;
      for (auto& e : it->second.elements) {
        // Set elements may be wrapped: {"elem": {"val": ..., "counter": ...}}.
        if (e.is_object() && e.contains("elem") && e["elem"].is_object() && e["elem"].contains("val"))
          out.push_back(copied(e["elem"]["val"]));
        else out.push_back(copied(e));
      }
      return out;
    }
    return std::vector<V>{copied(v)};
  }

  static std::optional<ip_prefix> to_prefix(const V& v) {
    if (v.is_string()) {
      auto a = ip_address::parse(v.template get<std::string>());
      if (!a) return std::nullopt;
      return ip_prefix{*a, a->bits()};
    }
    if (v.is_object() && v.contains("prefix") && v["prefix"].is_object()) {
      const V& p = v["prefix"];
      if (!p.contains("addr") || !p["addr"].is_string() || !p.contains("len") || !p["len"].is_number_unsigned())
        return std::nullopt;
      return ip_prefix::parse(p["addr"].template get<std::string>() + "/" + std::to_string(p["len"].template get<unsigned>()));
    }
    return std::nullopt;
  }

  static std::optional<std::uint16_t> to_port(const V& v) {
    if (v.is_number_unsigned() && v.template get<std::uint64_t>() <= 65535) return static_cast<std::uint16_t>(v.template get<unsigned>());
    if (v.is_string()) return detail::parse_port(v.template get<std::string>());
    return std::nullopt;
  }

  static std::optional<port_range> to_port_range(const V& v) {
    if (v.is_object() && v.contains("range") && v["range"].is_array() && v["range"].size() == 2) {
      auto lo = to_port(v["range"][0]), hi = to_port(v["range"][1]);
      if (!lo || !hi || *lo > *hi) return std::nullopt;
      return port_range{*lo, *hi};
    }
    auto p = to_port(v);
    if (!p) return std::nullopt;
    return port_range{*p, *p};
  }

  bool read_expr(rule& r, std::string_view key, const V& val, const std::string& path, std::string& word,
                 bool& terminal) {
    auto unknown = [&](const std::string& what) {
      r.match.unknown.push_back(what);
      word = what;
      return true;
    };
    if (key == "match"sv) {
      match_path_.assign(path).append(".match");  // reused: read_match never comes back here
      return read_match(r, val, match_path_, word);
    }
    if (key == "counter"sv || key == "log"sv || key == "comment"sv || key == "notrack"sv || key == "mangle"sv ||
        key == "continue"sv) {
      word = key == "log"sv && val.is_object() && val.contains("prefix") ? "log prefix \"" + render(val["prefix"]) + "\""
                                                                       : key;
      return true;
    }
    if (key == "accept"sv || key == "drop"sv || key == "reject"sv || key == "return"sv) {
      r.act = key == "accept"sv ? action::accept : key == "drop"sv ? action::drop : key == "reject"sv ? action::reject : action::ret;
      word = key;
      terminal = true;
      return true;
    }
    if (key == "jump"sv || key == "goto"sv) {
      std::string target = str_of(val, "target");
      if (target.empty()) {
        error(val, path + "." + std::string(key), "jump without target");
        return false;
      }
      r.act = key == "jump"sv ? action::jump : action::go;
      r.target = target;
      word = std::string(key) + " " + target;
      terminal = true;
      return true;
    }
    if (key == "dnat"sv || key == "snat"sv || key == "masquerade"sv || key == "redirect"sv) {
      r.act = key == "dnat"sv ? action::dnat : key == "snat"sv ? action::snat : key == "masquerade"sv ? action::masquerade : action::redirect;
      terminal = true;
      word = key;
      if (val.is_object()) {
        std::string fam = str_of(val, "family");
        if (fam == "ip"sv) r.match.family = 4;
        else if (fam == "ip6"sv) r.match.family = 6;
        if (val.contains("addr")) {
          const V& a = val["addr"];
          if (a.is_string()) {
            auto ad = ip_address::parse(a.template get<std::string>());
            if (!ad) {
              error(val, path + "." + std::string(key) + ".addr", "not an address", a.template get<std::string>());
              return false;
            }
            r.to.addr = ad;
          } else if (a.is_object() && a.contains("range") && a["range"].is_array() && a["range"].size() == 2 &&
                     a["range"][0].is_string() && a["range"][1].is_string()) {
            r.to.addr = ip_address::parse(a["range"][0].template get<std::string>());
            r.to.addr_last = ip_address::parse(a["range"][1].template get<std::string>());
            if (!r.to.addr || !r.to.addr_last) {
              error(val, path + "." + std::string(key) + ".addr", "not an address range");
              return false;
            }
          } else {
            // A map lookup or another expression: the target cannot be known statically.
            r.act = action::unknown;
            r.target = std::string(key) + " to " + render(a);
          }
        }
        if (val.contains("port")) {
          auto pr = to_port_range(val["port"]);
          if (!pr) {
            r.act = action::unknown;
            r.target = std::string(key) + " to port " + render(val["port"]);
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
        error(val, path + "." + std::string(key), "dnat without address");
        return false;
      }
      if (r.act == action::snat && !r.to.addr) {
        error(val, path + "." + std::string(key), "snat without address");
        return false;
      }
      return true;
    }
    if (key == "queue"sv || key == "fwd"sv || key == "tproxy"sv || key == "synproxy"sv) {
      r.act = action::unknown;
      r.target = key;
      terminal = true;
      word = key;
      return true;
    }
    if (key == "xt"sv) {
      // iptables-nft compatibility: an xtables match or target inside an nft rule.
      std::string type = str_of(val, "type"), name = str_of(val, "name");
      word = "xt " + type + " " + name;
      if (type == "target"sv) {
        r.act = action::unknown;
        r.target = "xt target " + name;
        terminal = true;
        return true;
      }
      r.match.unknown.push_back(word);
      return true;
    }
    if (key == "limit"sv || key == "quota"sv || key == "meter"sv || key == "ct count"sv || key == "set"sv) {
      if (key == "set"sv) {  // adds to a set: no effect on the verdict
        word = "set " + render(val);
        return true;
      }
      return unknown(std::string(key) + " " + render(val));  // a filter that may or may not let the packet through
    }
    // A statement we do not know: it may be a verdict, so the rule's effect is unknown unless a
    // verdict follows.
    unknown(std::string(key) + " " + render(val));
    if (r.act == action::none) {
      r.act = action::unknown;
      r.target = key;
    }
    return true;
  }

  bool read_match(rule& r, const V& m, const std::string& path, std::string& word) {
    if (!m.is_object() || !m.contains("left") || !m.contains("right")) {
      error(m, path, "match without left or right");
      return false;
    }
    std::string op = m.contains("op") && m["op"].is_string() ? m["op"].template get<std::string>() : "==";
    const V& left = m["left"];
    const V& right = m["right"];
    bool neg = op == "!="sv;
    bool eq = op == "=="sv || op == "in"sv || op == "!="sv;
    std::string rtext = render(right);
    std::string optext = op == "=="sv || op == "in"sv ? "" : op + " ";
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
      if ((proto == "ip"sv || proto == "ip6"sv) && (field == "saddr"sv || field == "daddr"sv)) {
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
        r.match.family = proto == "ip"sv ? 4 : 6;
        (field == "saddr"sv ? r.match.saddr : r.match.daddr) = std::move(am);
        return true;
      }
      if ((proto == "ip"sv && field == "protocol"sv) || (proto == "ip6"sv && field == "nexthdr"sv)) {
        return read_l4proto(r, right, neg, eq, word);
      }
      if ((proto == "tcp"sv || proto == "udp"sv || proto == "th"sv) && (field == "dport"sv || field == "sport"sv)) {
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
          if (op == "<"sv) {
            if (*p == 0) return unknown(word);
            pm.any_of.push_back({0, static_cast<std::uint16_t>(*p - 1)});
          } else if (op == "<="sv) pm.any_of.push_back({0, *p});
          else if (op == ">"sv) {
            if (*p == 65535) return unknown(word);
            pm.any_of.push_back({static_cast<std::uint16_t>(*p + 1), 65535});
          } else if (op == ">="sv) pm.any_of.push_back({*p, 65535});
          else return unknown(word);
        }
        if (proto != "th"sv) {
          int pn = proto == "tcp"sv ? proto_tcp : proto_udp;
          if (r.match.protocol_negated) return unknown(word);
          if (r.match.protocols.empty()) r.match.protocols = {pn};
          else if (std::find(r.match.protocols.begin(), r.match.protocols.end(), pn) != r.match.protocols.end())
            r.match.protocols = {pn};  // "meta l4proto { tcp, udp } tcp dport 53" is tcp only
          else return unknown(word);
        }
        (field == "dport"sv ? r.match.dport : r.match.sport) = std::move(pm);
        return true;
      }
      return unknown(word);
    }
    if (left.is_object() && left.contains("meta") && left["meta"].is_object()) {
      std::string key = str_of(left["meta"], "key");
      word = "meta " + key + " " + optext + rtext;
      if (key == "iifname"sv || key == "oifname"sv || key == "iif"sv || key == "oif"sv) {
        word = key + " " + optext + "\"" + rtext + "\"";
        if (!eq || !right.is_string()) return unknown(word);
        auto name = right.template get<std::string>();
        if (!name.empty() && name[0] == '@') return unknown(word);
        iface_match im{name, neg};
        (key[0] == 'i' ? r.match.iif : r.match.oif) = std::move(im);
        return true;
      }
      if (key == "l4proto"sv) return read_l4proto(r, right, neg, eq, word);
      if (key == "nfproto"sv) {
        if (!eq || !right.is_string()) return unknown(word);
        auto v = right.template get<std::string>();
        if (v == "ipv4"sv) r.match.family = neg ? 6 : 4;
        else if (v == "ipv6"sv) r.match.family = neg ? 4 : 6;
        else return unknown(word);
        return true;
      }
      return unknown(word);
    }
    if (left.is_object() && left.contains("ct") && left["ct"].is_object()) {
      std::string key = str_of(left["ct"], "key");
      word = "ct " + key + " " + optext + rtext;
      if ((key != "state"sv && key != "status"sv) || !eq || left["ct"].contains("dir")) return unknown(word);
      auto els = elements(right);
      if (!els) return unknown(word);
      ct_match cm;
      cm.negated = neg;
      for (auto& e : *els) {
        if (!e.is_string()) return bad("not a connection state");
        auto s = e.template get<std::string>();
        if (key == "state"sv) {
          if (s == "new"sv) cm.any_of |= ct_new;
          else if (s == "established"sv) cm.any_of |= ct_established;
          else if (s == "related"sv) cm.any_of |= ct_related;
          else if (s == "invalid"sv) cm.any_of |= ct_invalid;
          else if (s == "untracked"sv) cm.any_of |= ct_untracked;
          else return bad("unknown connection state");
        } else {
          if (s == "dnat"sv) cm.any_of |= ct_dnat;
          else if (s == "snat"sv) cm.any_of |= ct_snat;
          else return unknown(word);  // expected, seen-reply, assured, confirmed, dying
        }
      }
      r.match.ct.push_back(cm);
      return true;
    }
    if (left.is_object() && left.contains("fib") && left["fib"].is_object()) {
      const V& f = left["fib"];
      word = "fib " + render(f.value("flags", V())) + " " + str_of(f, "result") + " " + optext + rtext;
      bool daddr_only = f.contains("flags") &&
                        ((f["flags"].is_array() && f["flags"].size() == 1 && f["flags"][0] == "daddr") ||
                         f["flags"] == "daddr");
      if (str_of(f, "result") != "type"sv || !daddr_only || !eq) return unknown(word);
      auto els = elements(right);
      if (!els || els->size() != 1 || !(*els)[0].is_string() || (*els)[0].template get<std::string>() != "local"sv)
        return unknown(word);
      r.match.dst_local = !neg;
      return true;
    }
    return unknown(render(left) + " " + optext + rtext);
  }

  bool read_l4proto(rule& r, const V& right, bool neg, bool eq, const std::string& word) {
    auto unknown = [&] {
      r.match.unknown.push_back(word);
      return true;
    };
    if (!eq) return unknown();
    auto els = elements(right);
    if (!els || els->empty()) return unknown();
    std::vector<int> protos;
    for (const V& v : *els) {
      std::optional<int> p;
      if (v.is_string()) p = detail::protocol_number(v.template get<std::string>());
      else if (v.is_number_unsigned() && v.template get<std::uint64_t>() <= 255) p = static_cast<int>(v.template get<unsigned>());
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
  std::vector<std::size_t> item_offsets_;  // of the objects and arrays of item_, in document order
  bool item_duplicate_key_ = false;         // in item_
  bool positions_lost_ = false;  // a duplicate key dropped an object or array: positions unknown
  // The reading.
  const item_positions* positions_ = nullptr;  // of the item being read
  std::vector<held_diagnostic>* held_ = nullptr;
  std::vector<held_diagnostic> first_pass_diags_;  // chains, sets, malformed items
  std::exception_ptr first_pass_failed_;
  std::vector<rule_item<V>> rule_items_;
  bool eager_ = false;     // reading while the text is parsed: chains and sets may come later
  bool deferred_ = false;  // the rule being read needs the whole text
  bool any_deferred_ = false;  // a rule was kept for the end: the rules after it wait too
  std::map<std::string, named_set<V>> sets_;
  std::unordered_map<std::string, std::size_t> chains_;  // detail::chain_key() -> number in rs.chains
  std::string key_buf_;  // key_of()
  std::optional<std::size_t> last_chain_;  // the chain of the last rule read (read_rule())
  std::string rule_path_, expr_path_, match_path_;  // message paths, reused from rule to rule
  std::string cur_family_, cur_table_;
  node_arena arena_;    // the fast path's items
  node_arena scratch_;  // make_match()
};

// A recursive descent over a plain JSON text (see fnode) into nodes of an arena. Gives up (false)
// on anything else: a syntax error, an escape, a byte outside printable ASCII in a string, a number
// that is not an integer of 64 bits, a duplicate key, nesting deeper than 64.
class fast_parser {
 public:
  fast_parser(std::string_view text, node_arena& arena) : p_(text.data()), begin_(text.data()), end_(text.data() + text.size()), arena_(arena) {}

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }
  bool at_end() const { return p_ == end_; }
  bool take(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }

  bool string(std::string_view& out) {
    if (!take('"')) return false;
    const char* from = p_;
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(from, static_cast<std::size_t>(p_ - from));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    return false;
  }

  // A value whose enclosing objects and arrays number `depth`.
  bool value(fnode& out, std::size_t depth) {
    if (p_ >= end_) return false;
    out = fnode{};
    char c = *p_;
    if (c == '{' || c == '[') {
      if (depth + 1 > 64) return false;
      bool object = c == '{';
      out.t = object ? fnode::type::object : fnode::type::array;
      out.off = offset();
      ++p_;
      std::size_t start = tmp_.size();
      ws();
      if (!take(object ? '}' : ']')) {
        while (true) {
          ws();
          std::string_view key;
          if (object) {
            if (!string(key)) return false;
            ws();
            if (!take(':')) return false;
            ws();
          }
          fnode v;
          if (!value(v, depth + 1)) return false;
          v.key = key;
          tmp_.push_back(v);
          ws();
          if (take(',')) continue;
          if (take(object ? '}' : ']')) break;
          return false;
        }
      }
      std::size_t n = tmp_.size() - start;
      if (n > 0xffffffffu) return false;
      if (object && n > 1 && has_duplicate(start, n)) return false;
      fnode* kids = arena_.alloc(n == 0 ? 1 : n);
      std::copy(tmp_.begin() + static_cast<std::ptrdiff_t>(start), tmp_.end(), kids);
      tmp_.resize(start);
      out.n = static_cast<std::uint32_t>(n);
      out.kids = kids;
      return true;
    }
    if (c == '"') {
      out.t = fnode::type::string;
      return string(out.s);
    }
    if (c == 't' || c == 'f' || c == 'n') {
      std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
      p_ += word.size();
      out.t = c == 'n' ? fnode::type::null : fnode::type::boolean;
      out.b = c == 't';
      return true;
    }
    bool negative = take('-');
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;
    std::uint64_t u = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      auto d = static_cast<std::uint64_t>(*p_ - '0');
      if (u > (UINT64_MAX - d) / 10) return false;  // past 64 bits: nlohmann makes it a float
      u = u * 10 + d;
      ++p_;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    if (negative) {
      if (u > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
      out.t = fnode::type::integer;
      out.i = u == static_cast<std::uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<std::int64_t>(u);
    } else {
      out.t = fnode::type::unsigned_integer;
      out.u = u;
    }
    return true;
  }

 private:
  bool has_duplicate(std::size_t start, std::size_t n) {
    if (n <= 8) {
      for (std::size_t a = start; a < start + n; ++a)
        for (std::size_t b = a + 1; b < start + n; ++b)
          if (tmp_[a].key == tmp_[b].key) return true;
      return false;
    }
    keys_.clear();
    for (std::size_t a = start; a < start + n; ++a) keys_.push_back(tmp_[a].key);
    std::sort(keys_.begin(), keys_.end());
    return std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end();
  }

  const char* p_;
  const char* begin_;
  const char* end_;
  node_arena& arena_;
  std::vector<fnode> tmp_;  // the values of the open objects and arrays
  std::vector<std::string_view> keys_;
};

template <>
std::optional<ruleset> reader<fv>::run_fast() {
  ruleset rs;
  rs.syntax = rule_syntax::nft;
  rs.file = file_;
  rs_ = &rs;
  fast_parser p(text_, arena_);
  p.ws();
  if (!p.take('{')) return std::nullopt;
  std::vector<std::string_view> top_keys;
  bool seen = false;
  p.ws();
  if (p.take('}')) return std::nullopt;  // no "nftables"
  while (true) {
    p.ws();
    std::string_view key;
    if (!p.string(key)) return std::nullopt;
    if (std::find(top_keys.begin(), top_keys.end(), key) != top_keys.end()) return std::nullopt;
    top_keys.push_back(key);
    p.ws();
    if (!p.take(':')) return std::nullopt;
    p.ws();
    if (key == "nftables"sv) {
      seen = true;
      if (!p.take('[')) return std::nullopt;
      p.ws();
      if (!p.take(']')) {
        while (true) {
          p.ws();
          auto mark = arena_.where();
          fnode* item = arena_.alloc(1);
          if (!p.value(*item, 2)) return std::nullopt;
          if (!on_item(std::make_unique<fv>(item))) arena_.rewind(mark);
          p.ws();
          if (p.take(',')) continue;
          if (p.take(']')) break;
          return std::nullopt;
        }
      }
    } else {
      auto mark = arena_.where();
      fnode ignored;
      if (!p.value(ignored, 1)) return std::nullopt;
      arena_.rewind(mark);
    }
    p.ws();
    if (p.take(',')) continue;
    if (p.take('}')) break;
    return std::nullopt;
  }
  p.ws();
  if (!p.at_end() || !seen) return std::nullopt;
  finish(rs);
  return rs;
}

}  // namespace

ruleset parse_nft_json(std::string_view text, const std::string& file, diagnostics& diags) {
  try {
    {  // a plain text (nearly every `nft -j` output) by the fast path
      reader<fv> fast(text, file, diags);
      if (auto rs = fast.run_fast()) return std::move(*rs);
    }
    reader<json> rd(text, file, diags);
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
