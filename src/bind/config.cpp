// Building the BIND model from the generic tree (parser.hpp).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <new>
#include <unordered_map>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "core/ascii.hpp"
#include "core/dns_text.hpp"

namespace hc::bind {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> normal_class(const std::string& c) {
  if (iequals(c, "IN")) return "IN";
  if (iequals(c, "CH") || iequals(c, "CHAOS")) return "CH";
  if (iequals(c, "HS") || iequals(c, "HESIOD")) return "HS";
  return std::nullopt;
}

std::optional<bool> boolean(const std::string& s) {
  if (iequals(s, "yes") || iequals(s, "true") || s == "1") return true;
  if (iequals(s, "no") || iequals(s, "false") || s == "0") return false;
  return std::nullopt;
}

// Text that looks like an address or prefix rather than an ACL name.
bool looks_like_address(const std::string& s) {
  if (s.empty()) return false;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
      continue;
    }
    bool hex = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != '.' && c != ':' && c != '/' && c != '%') return false;
  }
  return digit && s.find_first_of(".:/") != std::string::npos;
}

const char* const known_zone_types[] = {"primary", "secondary", "mirror", "stub", "static-stub", "hint",
                                         "forward", "redirect", "delegation-only", "in-view"};

// The views' names -> their number in a configuration's views, by open addressing in one vector:
// a look-up among 10^5 views costs about one cache miss and no allocation (an unordered_map node per
// view was ~500 ns to find, insert and free). Names are compared with the views' own names.
class view_names {
 public:
  explicit view_names(const std::vector<view_decl>& views) : views_(views) {}

  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) rehash(std::bit_ceil(n * 2));
  }
  // The number of the view already called `name`; else nullopt, and `name` is recorded as view
  // `number`, which must be the next view added (views[number] is read from the next call on).
  std::optional<std::size_t> find_or_add(const std::string& name, std::size_t number) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(std::max<std::size_t>(16, slots_.size() * 2));
    const std::size_t h = std::hash<std::string_view>{}(name);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.number == empty) {
        s = {h, number};
        ++size_;
        return std::nullopt;
      }
      if (s.hash == h && views_[s.number].name == name) return s.number;
    }
  }

 private:
  static constexpr std::size_t empty = SIZE_MAX;
  struct slot {
    std::size_t hash = 0;
    std::size_t number = empty;
  };
  void rehash(std::size_t n) {  // n: a power of two, more than twice size_
    std::vector<slot> old = std::move(slots_);
    slots_.assign(n, slot{});
    for (const slot& o : old) {
      if (o.number == empty) continue;
      std::size_t i = o.hash & (n - 1);
      while (slots_[i].number != empty) i = (i + 1) & (n - 1);
      slots_[i] = o;
    }
  }

  const std::vector<view_decl>& views_;
  std::vector<slot> slots_;
  std::size_t size_ = 0;
};

class builder {
 public:
  builder(config& cfg, diagnostics& diags) : cfg_(cfg), diags_(diags), view_index_(cfg.views) {}

  // A key statement read on its own (a key file).
  void key_statement(const node& n) { read_key(n, {}); }

  void run(const std::vector<node>& top) {
    std::vector<const node*> loose_zones;
    const node* options = nullptr;
    // The views and their index sized once (10^5 views grew and rehashed them step by step).
    std::size_t views = 0;
    for (const auto& n : top) views += !n.keyword_quoted && iequals(n.keyword, "view");
    cfg_.views.reserve(cfg_.views.size() + views);
    view_index_.reserve(cfg_.views.size() + views);
    for (const auto& n : top) {
      if (n.keyword_quoted) {
        diags_.error(n.where, "unexpected token", describe_keyword(n));
        continue;
      }
      if (iequals(n.keyword, "options")) {
        if (options) {
          diags_.error(n.where, "'options' redefined, first at " + options->where.str(), n.keyword);
          continue;
        }
        options = &n;
        read_options(n);
      } else if (iequals(n.keyword, "acl")) {
        read_acl(n);
      } else if (iequals(n.keyword, "view")) {
        read_view(n);
      } else if (iequals(n.keyword, "zone")) {
        loose_zones.push_back(&n);
      } else if (iequals(n.keyword, "key")) {
        read_key(n, {});
      }
      // Every other statement (logging, controls, key, server, dlz, plugin, trust-anchors, ...)
      // is not needed here and skipped, whatever BIND version it belongs to.
    }

    if (!cfg_.views.empty()) {
      for (const node* z : loose_zones)
        diags_.error(z->where, "when using 'view' statements, all zones must be in views", z->keyword);
    } else {
      view_decl v;
      v.name = "_default";
      v.implicit = true;
      v.match_clients = any_list();
      v.match_destinations = any_list();
      v.where = {cfg_.file, 0, 0};
      for (const node* z : loose_zones) add_zone(v, *z);
      cfg_.views.push_back(std::move(v));
    }
    check_acl_refs();
  }

 private:
  // A name from the configuration as a message shows it: quoted, cut and escaped; described
  // instead when it comes from an included file, whose text is never shown.
  std::string q(const source_location& at, const std::string& text) const {
    return diags_.is_private(at.file) ? "(" + describe_token(text) + ")" : "'" + escape_text(text) + "'";
  }

  // The optional class after a view's or zone's name (`view "x" IN { ... }`): false, with an
  // error, when there is more than one argument after the name or the class is unknown.
  bool class_argument(const node& n, std::string& rrclass) {
    if (n.arguments.size() > 2) {
      diags_.error(n.arguments[2].where, "unexpected token", describe(n.arguments[2]));
      return false;
    }
    if (n.arguments.size() == 2) {
      auto c = normal_class(n.arguments[1].text);
      if (!c) {
        diags_.error(n.arguments[1].where, "unknown class", n.arguments[1].text);
        return false;
      }
      rrclass = *c;
    }
    return true;
  }

  static std::string describe_keyword(const node& n) { return n.keyword_quoted ? "\"" + n.keyword + "\"" : n.keyword; }

  static address_match_list any_list() {
    address_match_list l;
    address_match_element e;
    e.what = address_match_element::kind::any;
    e.text = "any";
    l.elements.push_back(e);
    return l;
  }

  // The single text argument of `keyword value;`, or an error.
  std::optional<std::string> single(const node& n) {
    if (n.arguments.size() == 1 && n.arguments[0].is_text() && n.blocks.empty()) return n.arguments[0].text;
    if (n.arguments.empty())
      diags_.error(n.where, "'" + n.keyword + "' expects one value", n.blocks.empty() ? ";" : "{");
    else if (n.arguments.size() > 1)
      diags_.error(n.arguments[1].where, "unexpected token", describe(n.arguments[1]));
    else
      diags_.error(n.where, "'" + n.keyword + "' expects one value", "{");
    return std::nullopt;
  }

  std::string resolve(const std::string& file) const {
    fs::path p = file;
    if (p.is_relative()) p = fs::path(cfg_.options.directory) / p;
    return p.lexically_normal().string();
  }

  void read_options(const node& n) {
    auto b = n.block();
    if (!b) {
      diags_.error(n.where, "'options' expects a block", n.arguments.empty() ? ";" : describe(n.arguments[0]));
      return;
    }
    for (const auto& s : *b) {
      if (iequals(s.keyword, "directory")) {
        single(s);  // the value itself was taken by load_tree()
      } else if (iequals(s.keyword, "recursion")) {
        if (auto v = single(s)) {
          if (boolean(*v))
            cfg_.options.recursion = *boolean(*v) ? "yes" : "no";
          else
            diags_.error(s.arguments[0].where, "expected a boolean", *v);
        }
      } else if (iequals(s.keyword, "listen-on")) {
        if (auto lb = s.block()) {
          auto list = read_list(*lb);
          for (auto& e : list.elements) cfg_.options.listen_on.push_back(e.text);
        } else {
          diags_.error(s.where, "'listen-on' expects a list in braces", s.arguments.empty() ? ";" : describe(s.arguments.back()));
        }
      }
    }
  }

  // A key statement; a valid one goes to cfg_.keys. The secret never reaches a message: errors
  // about it name its position and its kind of token only.
  void read_key(const node& n, const std::string& view) {
    if (n.arguments.empty() || !n.arguments[0].is_text()) {
      diags_.error(n.where, "'key' expects a name", n.blocks.empty() ? ";" : "{");
      return;
    }
    const token& name = n.arguments[0];
    if (n.arguments.size() > 1) {
      diags_.error(n.arguments[1].where, "unexpected token after the key name (" + kind_of(n.arguments[1]) + ")");
      return;
    }
    if (n.blocks.size() != 1) {
      diags_.error(n.where, "key " + q(n.where, name.text) + " expects one block in braces", name.text);
      return;
    }
    key_decl k;
    k.name = name.text;
    while (k.name.size() > 1 && k.name.back() == '.') k.name.pop_back();
    k.view = view;
    k.where = n.where;
    bool has_algorithm = false, has_secret = false, ok = true;
    for (const auto& s : *n.block()) {
      const bool is_algorithm = iequals(s.keyword, "algorithm");
      const bool is_secret = iequals(s.keyword, "secret");
      if (!is_algorithm && !is_secret) continue;  // anything else a newer BIND may add
      if (s.arguments.size() != 1 || !s.arguments[0].is_text() || !s.blocks.empty()) {
        diags_.error(s.where, "key " + q(n.where, name.text) + ": '" + s.keyword + "' expects one value" +
                                  (s.arguments.size() > 1 ? " (then " + kind_of(s.arguments[1]) + ")" : ""));
        ok = false;
        continue;
      }
      const token& value = s.arguments[0];
      if (is_algorithm) {
        has_algorithm = true;
        k.algorithm = ascii_lower(value.text);
        if (!k.algorithm.empty() && k.algorithm.back() == '.') k.algorithm.pop_back();
        if (k.algorithm == "hmac-md5.sig-alg.reg.int") k.algorithm = "hmac-md5";
        if (!known_tsig_algorithm(k.algorithm)) {
          diags_.error(value.where, "key " + q(n.where, name.text) + ": unknown algorithm", value.text);
          ok = false;
        }
      } else {
        has_secret = true;
        for (char c : value.text)
          if (c != ' ' && c != '\t' && c != '\n' && c != '\r') k.secret += c;
        if (!base64_shape(k.secret)) {
          diags_.error(value.where, "key " + q(n.where, name.text) + ": the secret (" + kind_of(value) + ") is not valid base64");
          ok = false;
        }
      }
    }
    if (!has_algorithm || !has_secret) {
      diags_.error(n.where, "key " + q(n.where, name.text) + " must have both 'secret' and 'algorithm' defined", name.text);
      ok = false;
    }
    if (!ok) return;
    // One index for every key, so that a file of many key statements stays linear.
    const std::string id = view + "/" + ascii_lower(k.name);
    if (auto it = key_index_.find(id); it != key_index_.end()) {
      diags_.error(n.where, "key " + q(n.where, name.text) + " already defined at " + cfg_.keys[it->second].where.str(),
                   name.text);
      return;
    }
    key_index_.emplace(id, cfg_.keys.size());
    cfg_.keys.push_back(std::move(k));
  }

  // A token's kind, for messages that must not show it.
  static std::string kind_of(const token& t) { return t.what == token::kind::string ? "a quoted string" : "a word"; }

  // Base64 as BIND takes a secret: the alphabet, whole quanta, at most two '=' at the end.
  static bool base64_shape(const std::string& s) {
    std::size_t pad = 0;
    for (char c : s) {
      if (c == '=') {
        ++pad;
        continue;
      }
      bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
      if (!alpha || pad) return false;
    }
    return !s.empty() && s.size() % 4 == 0 && pad <= 2;
  }

  void read_acl(const node& n) {
    if (n.arguments.empty() || !n.arguments[0].is_text()) {
      diags_.error(n.where, "'acl' expects a name", n.blocks.empty() ? ";" : "{");
      return;
    }
    const token& name = n.arguments[0];
    if (n.arguments.size() > 1) {
      diags_.error(n.arguments[1].where, "unexpected token", describe(n.arguments[1]));
      return;
    }
    if (n.blocks.size() != 1) {
      diags_.error(n.where, "acl " + q(n.where, name.text) + " expects one list in braces", name.text);
      return;
    }
    for (const char* builtin : {"any", "none", "localhost", "localnets"})
      if (iequals(name.text, builtin)) {
        diags_.error(name.where, "cannot redefine built-in ACL " + q(name.where, name.text), name.text);
        return;
      }
    if (auto it = cfg_.acl_index.find(name.text); it != cfg_.acl_index.end()) {
      diags_.error(name.where, "ACL " + q(name.where, name.text) + " already defined at " + cfg_.acls[it->second].where.str(),
                   name.text);
      return;
    }
    acl_decl a;
    a.name = name.text;
    a.where = n.where;
    a.list = read_list(*n.block());
    cfg_.acl_index.emplace(a.name, cfg_.acls.size());
    cfg_.acls.push_back(std::move(a));
  }

  address_match_list read_list(const std::vector<node>& block) {
    address_match_list l;
    l.elements.reserve(block.size());
    for (const auto& n : block)
      if (auto e = read_element(n)) l.elements.push_back(std::move(*e));
    return l;
  }

  std::optional<address_match_element> read_element(const node& n) {
    using k = address_match_element::kind;
    address_match_element e;  // e.where: the node's (a nested list) or its first item's position
    std::vector<const token*> items;
    token kw{n.keyword_quoted ? token::kind::string : token::kind::word, n.keyword, n.where};
    if (!n.keyword.empty() || n.keyword_quoted) items.push_back(&kw);
    for (const auto& a : n.arguments) items.push_back(&a);
    std::size_t i = 0;
    if (i < items.size() && items[i]->what == token::kind::word && items[i]->text == "!") {
      e.negated = true;
      ++i;
    }
    std::string prefix = e.negated ? "!" : "";
    if (i == items.size()) {
      if (n.blocks.size() != 1) {
        diags_.error(n.where, "expected an address match element", n.blocks.empty() ? ";" : "{");
        return std::nullopt;
      }
      e.what = k::nested;
      e.where = n.where;
      auto inner = std::make_shared<address_match_list>(read_list(n.blocks[0]));
      std::string text = "{";
      for (const auto& x : inner->elements) text += " " + x.text + ";";
      e.text = prefix + text + " }";
      e.nested = std::move(inner);
      return e;
    }
    if (!n.blocks.empty()) {
      diags_.error(n.where, "unexpected token", "{");
      return std::nullopt;
    }
    const token& first = *items[i];
    e.where = first.where;
    if (first.what == token::kind::word && iequals(first.text, "key")) {
      if (items.size() - i != 2) {
        diags_.error(first.where, "'key' expects one key name",
                     items.size() - i > 2 ? describe(*items[i + 2]) : ";");
        return std::nullopt;
      }
      e.what = k::key;
      e.ref = items[i + 1]->text;
      e.text = prefix + "key " + e.ref;
      return e;
    }
    if (first.what == token::kind::word && iequals(first.text, "geoip")) {
      e.what = k::geoip;
      e.text = prefix;
      for (std::size_t j = i; j < items.size(); ++j) e.text += (j > i ? " " : "") + items[j]->text;
      return e;
    }
    if (items.size() - i > 1) {
      diags_.error(items[i + 1]->where, "unexpected token", describe(*items[i + 1]));
      return std::nullopt;
    }
    const std::string& t = first.text;
    e.text = prefix + t;
    if (iequals(t, "any")) {
      e.what = k::any;
    } else if (iequals(t, "none")) {
      e.what = k::none;
    } else if (iequals(t, "localhost")) {
      e.what = k::localhost;
    } else if (iequals(t, "localnets")) {
      e.what = k::localnets;
    } else if (auto p = ip_prefix::parse(t)) {
      e.what = k::prefix;
      e.prefix = *p;
      check_host_bits(t, *p, first.where);
    } else if (looks_like_address(t)) {
      diags_.error(first.where, "invalid address or prefix", t);
      return std::nullopt;
    } else {
      e.what = k::acl_ref;
      e.ref = t;
    }
    return e;
  }

  // BIND refuses "198.18.1.77/24"; we keep the prefix it obviously means and warn.
  // `where` becomes a source_location (a copy of the file's path) only for the warning.
  void check_host_bits(const std::string& text, const ip_prefix& p, const location& where) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return;
    std::string addr = text.substr(0, slash);
    if (addr.find(':') == std::string::npos) {
      int dots = static_cast<int>(std::count(addr.begin(), addr.end(), '.'));
      for (; dots < 3; ++dots) addr += ".0";
    }
    auto a = ip_address::parse(addr);
    if (a && *a != p.network)
      diags_.warning(where, "address/prefix length mismatch, read as " + p.str(), text);
  }

  void read_view(const node& n) {
    if (n.arguments.empty() || !n.arguments[0].is_text()) {
      diags_.error(n.where, "'view' expects a name", n.blocks.empty() ? ";" : "{");
      return;
    }
    view_decl v;
    v.name = n.arguments[0].text;
    v.where = n.where;
    if (!class_argument(n, v.rrclass)) return;
    if (n.blocks.size() != 1) {
      diags_.error(n.where, "view " + q(n.where, v.name) + " expects one block in braces", v.name);
      return;
    }
    // Indexed now under the number it gets at the end of this function (nothing below returns early).
    if (auto earlier = view_index_.find_or_add(v.name, cfg_.views.size())) {
      diags_.error(n.where, "view " + q(n.where, v.name) + " already defined at " + cfg_.views[*earlier].where.str(), v.name);
      return;
    }
    bool clients = false, destinations = false;
    std::unordered_map<std::string, std::size_t> zone_index;
    for (const auto& s : n.blocks[0]) {
      if (s.keyword_quoted) continue;
      if (iequals(s.keyword, "match-clients") || iequals(s.keyword, "match-destinations")) {
        bool is_clients = iequals(s.keyword, "match-clients");
        if (s.blocks.size() != 1 || !s.arguments.empty()) {
          diags_.error(s.where, "'" + s.keyword + "' expects a list in braces",
                       s.arguments.empty() ? ";" : describe(s.arguments[0]));
          continue;
        }
        if (is_clients ? clients : destinations) {
          diags_.error(s.where, "'" + s.keyword + "' redefined", s.keyword);
          continue;
        }
        (is_clients ? v.match_clients : v.match_destinations) = read_list(s.blocks[0]);
        (is_clients ? clients : destinations) = true;
      } else if (iequals(s.keyword, "match-recursive-only")) {
        if (auto x = single(s)) {
          if (auto b = boolean(*x))
            v.match_recursive_only = *b;
          else
            diags_.error(s.arguments[0].where, "expected a boolean", *x);
        }
      } else if (iequals(s.keyword, "recursion")) {
        if (auto x = single(s)) {
          if (auto b = boolean(*x))
            v.recursion = *b ? "yes" : "no";
          else
            diags_.error(s.arguments[0].where, "expected a boolean", *x);
        }
      } else if (iequals(s.keyword, "zone")) {
        add_zone(v, s, &zone_index);
      } else if (iequals(s.keyword, "key")) {
        read_key(s, v.name);
      } else if (iequals(s.keyword, "view") || iequals(s.keyword, "options") || iequals(s.keyword, "acl")) {
        diags_.error(s.where, "'" + s.keyword + "' is not allowed inside a view", s.keyword);
      }
    }
    if (!clients) v.match_clients = any_list();
    if (!destinations) v.match_destinations = any_list();
    cfg_.views.push_back(std::move(v));
  }

  void add_zone(view_decl& v, const node& n, std::unordered_map<std::string, std::size_t>* index = nullptr) {
    std::unordered_map<std::string, std::size_t> local;
    if (!index) {
      // Implicit view: build the index once over the zones added so far.
      if (default_index_.size() != v.zones.size())
        for (std::size_t i = default_index_.size(); i < v.zones.size(); ++i)
          default_index_.emplace(v.zones[i].name + "/" + v.zones[i].rrclass, i);
      index = &default_index_;
    }
    if (n.arguments.empty() || !n.arguments[0].is_text()) {
      diags_.error(n.where, "'zone' expects a name", n.blocks.empty() ? ";" : "{");
      return;
    }
    zone_decl z;
    z.where = n.where;
    z.rrclass = v.rrclass;
    std::string written = n.arguments[0].text;
    z.name = display_name(ascii_lower(written));
    if (z.name.empty()) {
      diags_.error(n.arguments[0].where, "empty zone name", "\"\"");
      return;
    }
    if (!class_argument(n, z.rrclass)) return;
    if (n.arguments.size() == 2) {
      if (z.rrclass != v.rrclass) {
        diags_.error(n.arguments[1].where,
                     "zone " + q(n.where, written) + ": class " + z.rrclass + " does not match the view's class " + v.rrclass,
                     n.arguments[1].text);
        return;
      }
    }
    if (n.blocks.size() != 1) {
      diags_.error(n.where, "zone " + q(n.where, written) + " expects one block in braces", written);
      return;
    }
    std::string type_written;
    for (const auto& s : n.blocks[0]) {
      if (s.keyword_quoted) continue;
      if (iequals(s.keyword, "type")) {
        if (auto t = single(s)) {
          type_written = *t;
          std::string ty = ascii_lower(*t);
          if (ty == "master") ty = "primary";
          if (ty == "slave") ty = "secondary";
          if (std::find(std::begin(known_zone_types), std::end(known_zone_types), ty) == std::end(known_zone_types)) {
            diags_.error(s.arguments[0].where, "zone " + q(n.where, written) + ": unknown type", *t);
            return;
          }
          z.type = ty;
        }
      } else if (iequals(s.keyword, "file")) {
        if (auto f = single(s)) {
          z.file = resolve(*f);
          z.file_written = *f;
          z.file_where = s.where;
        }
      } else if (iequals(s.keyword, "in-view")) {
        if (auto f = single(s)) z.in_view = *f;
      }
    }
    if (z.type.empty() && !z.in_view.empty()) z.type = "in-view";
    if (z.type.empty()) {
      diags_.error(n.where, "zone " + q(n.where, written) + ": type not present", written);
      return;
    }
    std::string key = z.name + "/" + z.rrclass;
    if (auto it = index->find(key); it != index->end()) {
      diags_.error(n.where, "zone " + q(n.where, written) + " already defined at " + v.zones[it->second].where.str(), written);
      return;
    }
    index->emplace(key, v.zones.size());
    v.zones.push_back(std::move(z));
  }

  // Undefined ACL names, ACLs that refer to themselves, and reference chains deeper than
  // max_acl_depth. Without recursion: a generated configuration may chain thousands of ACLs.
  void check_acl_refs() {
    for (const auto& a : cfg_.acls) check_refs(a.list);
    for (const auto& v : cfg_.views) {
      check_refs(v.match_clients);
      check_refs(v.match_destinations);
    }
    const std::size_t n = cfg_.acls.size();
    std::vector<acl_links> links(n);
    for (std::size_t i = 0; i < n; ++i) collect_links(cfg_.acls[i].list, 0, links[i]);

    // Depth-first over the references, with an explicit stack; height: how many lists deep the
    // longest chain below an ACL goes (0 for a list of plain elements).
    std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
    std::vector<std::size_t> height(n, 0);
    struct frame {
      std::size_t acl;
      std::size_t next = 0;
    };
    for (std::size_t root = 0; root < n; ++root) {
      if (state[root] != 0) continue;
      std::vector<frame> stack{{root}};
      state[root] = 1;
      while (!stack.empty()) {
        frame& f = stack.back();
        const auto& l = links[f.acl];
        if (f.next < l.refs.size()) {
          const auto& [e, level, target] = l.refs[f.next++];
          if (state[target] == 1)
            diags_.error(e->where, "ACL loop: " + q(cfg_.acls[f.acl].where, cfg_.acls[f.acl].name) + " refers back to " + q(e->where, e->ref), e->ref);
          else if (state[target] == 0) {
            state[target] = 1;
            stack.push_back({target});
          }
          continue;
        }
        std::size_t h = l.own_depth;
        for (const auto& [e, level, target] : l.refs)
          if (state[target] == 2) h = std::max(h, level + 1 + height[target]);
        height[f.acl] = h;
        state[f.acl] = 2;
        stack.pop_back();
      }
    }

    // One error per chain that goes too deep, at the reference that starts it.
    const auto limit = static_cast<std::size_t>(max_acl_depth);
    std::vector<bool> below_deep(n, false);  // referred to by an ACL whose chain is already too deep
    for (std::size_t i = 0; i < n; ++i)
      if (height[i] > limit)
        for (const auto& r : links[i].refs) below_deep[r.target] = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (height[i] <= limit || below_deep[i]) continue;
      std::string path = q(cfg_.acls[i].where, cfg_.acls[i].name);
      const address_match_element* first = nullptr;
      std::size_t at = i;
      for (int shown = 0; shown < 3; ++shown) {
        const acl_link* deepest = nullptr;
        for (const auto& r : links[at].refs)
          if (state[r.target] == 2 && (!deepest || height[r.target] + r.level > height[deepest->target] + deepest->level))
            deepest = &r;
        if (!deepest) break;
        if (!first) first = deepest->element;
        at = deepest->target;
        path += " -> " + q(cfg_.acls[at].where, cfg_.acls[at].name);
      }
      if (!first) continue;
      diags_.error(first->where,
                   "ACL references nested too deeply: " + path + " -> ... goes " + std::to_string(height[i]) +
                       " lists deep (more than " + std::to_string(max_acl_depth) + ")",
                   first->ref);
    }
  }

  void check_refs(const address_match_list& l) {
    for (const auto& e : l.elements) {
      if (e.what == address_match_element::kind::acl_ref && !cfg_.acl_index.contains(e.ref))
        diags_.error(e.where, "undefined ACL " + q(e.where, e.ref), e.ref);
      if (e.nested) check_refs(*e.nested);
    }
  }

  // A reference from one ACL to another, `level` nested lists inside the referring ACL's list.
  struct acl_link {
    const address_match_element* element;
    std::size_t level;
    std::size_t target;
  };
  struct acl_links {
    std::vector<acl_link> refs;
    std::size_t own_depth = 0;  // the deepest nested list, references not counted
  };

  // Nested lists are bounded by the parser's block depth; recursion over them is safe.
  void collect_links(const address_match_list& l, std::size_t level, acl_links& out) {
    out.own_depth = std::max(out.own_depth, level);
    for (const auto& e : l.elements) {
      if (e.nested) collect_links(*e.nested, level + 1, out);
      if (e.what != address_match_element::kind::acl_ref) continue;
      if (auto it = cfg_.acl_index.find(e.ref); it != cfg_.acl_index.end()) out.refs.push_back({&e, level, it->second});
    }
  }

  config& cfg_;
  diagnostics& diags_;
  std::unordered_map<std::string, std::size_t> default_index_;
  view_names view_index_;
  std::unordered_map<std::string, std::size_t> key_index_;  // "view/name" (lower case) -> index in cfg_.keys
};

}  // namespace

bool known_tsig_algorithm(const std::string& name) {
  for (const char* a : {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"})
    if (iequals(name, a)) return true;
  return false;
}

const key_decl* find_key(const std::vector<key_decl>& keys, const std::string& name, const std::string& view) {
  std::string n = name;
  while (n.size() > 1 && n.back() == '.') n.pop_back();
  const key_decl* top = nullptr;
  for (const auto& k : keys) {
    if (!iequals(k.name, n)) continue;
    if (!view.empty() && k.view == view) return &k;
    if (k.view.empty() && !top) top = &k;
  }
  return top;
}

std::vector<key_decl> read_key_file(const std::string& path, diagnostics& diags) {
  try {
    diags.mark_private(path);
    const std::size_t before = diags.all().size();
    tree t = load_tree(path, diags);
    if (!t.opened) throw input_error("cannot open '" + path + "': " + t.open_error);
    config cfg;
    cfg.file = path;
    cfg.options.directory = t.directory;
    builder b(cfg, diags);
    for (const auto& n : t.statements) {
      if (iequals(n.keyword, "key") && !n.keyword_quoted)
        b.key_statement(n);
      else
        diags.error(n.where, "only key statements belong in a key file", n.keyword_quoted ? "\"" : n.keyword);
    }
    if (cfg.keys.empty() && diags.all().size() == before) diags.error({path, 0, 0}, "no key statement in the key file");
    return std::move(cfg.keys);
  } catch (const std::bad_alloc&) {
    throw input_error("out of memory while reading " + path);
  }
}

config read_named_conf(const std::string& path, diagnostics& diags) {
  try {
    tree t = load_tree(path, diags);
    if (!t.opened) throw input_error("cannot open '" + path + "': " + t.open_error);
    config cfg;
    cfg.file = path;
    cfg.files_read = std::move(t.files);
    cfg.options.directory = t.directory;
    builder(cfg, diags).run(t.statements);
    return cfg;
  } catch (const std::bad_alloc&) {
    // Everything read so far is freed by now; say which input was too much.
    throw input_error("out of memory while reading " + path + " and its includes");
  }
}

}  // namespace hc::bind
