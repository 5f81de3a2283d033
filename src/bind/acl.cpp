// Address match lists as BIND evaluates them, view selection, and the view analyses.

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "core/prefix_lookup.hpp"

namespace hc::bind {

namespace {

using kind = address_match_element::kind;
// A view's own list, then max_acl_depth levels of references and nested lists below it.
constexpr int max_nesting = max_acl_depth + 1;

const address_match_list* find_acl(const config& cfg, const std::string& name) {
  if (cfg.acl_index.size() == cfg.acls.size()) {
    auto it = cfg.acl_index.find(name);
    return it == cfg.acl_index.end() ? nullptr : &cfg.acls[it->second].list;
  }
  for (const auto& a : cfg.acls)  // a config built by hand, without the index
    if (a.name == name) return &a.list;
  return nullptr;
}

// The inner list of a nested or named element, nullptr for the others (or an undefined name).
const address_match_list* inner_list(const config& cfg, const address_match_element& e) {
  if (e.what == kind::nested) return e.nested.get();
  if (e.what == kind::acl_ref) return find_acl(cfg, e.ref);
  return nullptr;
}

enum class verdict { no_match, accept, reject };

// TSIG key names are domain names: case and a trailing dot do not matter.
bool same_key(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '.') a.remove_suffix(1);
  if (!b.empty() && b.back() == '.') b.remove_suffix(1);
  return iequals(a, b);
}

// A key name as same_key() compares it: lower case, without the trailing dot.
std::string key_form(std::string_view k) {
  if (!k.empty() && k.back() == '.') k.remove_suffix(1);
  std::string out(k);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // as iequals()
  return out;
}

// An ACL reached again through another path (acl a { b; b; }; acl b { c; c; }; ...) gives the same
// answer: each (list, depth) is evaluated once per question, so a diamond of references costs its
// size, not 2^depth.
using eval_memo = std::map<std::pair<const address_match_list*, int>, verdict>;

verdict eval_list(const config& cfg, const address_match_list& list, const ip_address& a, const std::string* key,
                  const host_addresses& host, int depth, eval_memo& memo);

// Does the element (before its negation is applied) match the address, signed with `key` when set?
bool element_matches(const config& cfg, const address_match_element& e, const ip_address& a, const std::string* key,
                     const host_addresses& host, int depth, eval_memo& memo) {
  switch (e.what) {
    case kind::prefix: return e.prefix.contains(a);
    case kind::any: return true;
    case kind::none: return false;
    case kind::key: return key && same_key(*key, e.ref);
    case kind::geoip: return false;
    case kind::localhost:
      if (host.local.empty()) return a == *ip_address::parse("127.0.0.1") || a == *ip_address::parse("::1");
      return std::find(host.local.begin(), host.local.end(), a) != host.local.end();
    case kind::localnets:
      if (host.nets.empty())
        return ip_prefix::parse("127.0.0.0/8")->contains(a) || ip_prefix::parse("::1/128")->contains(a);
      return std::any_of(host.nets.begin(), host.nets.end(), [&](const ip_prefix& p) { return p.contains(a); });
    case kind::nested:
    case kind::acl_ref: {
      // As BIND: a negative answer inside a nested ACL counts as no match, so a negated nested
      // ACL rejects only what the nested ACL accepts.
      const auto* inner = inner_list(cfg, e);
      if (!inner || depth >= max_nesting) return false;
      auto k = std::make_pair(inner, depth + 1);
      auto it = memo.find(k);
      if (it == memo.end()) it = memo.emplace(k, eval_list(cfg, *inner, a, key, host, depth + 1, memo)).first;
      return it->second == verdict::accept;
    }
  }
  return false;
}

verdict eval_list(const config& cfg, const address_match_list& list, const ip_address& a, const std::string* key,
                  const host_addresses& host, int depth, eval_memo& memo) {
  for (const auto& e : list.elements)
    if (element_matches(cfg, e, a, key, host, depth, memo)) return e.negated ? verdict::reject : verdict::accept;
  return verdict::no_match;
}

verdict evaluate(const config& cfg, const address_match_list& list, const ip_address& a, const std::string* key,
                 const host_addresses& host, int depth) {
  eval_memo memo;
  return eval_list(cfg, list, a, key, host, depth, memo);
}

// ---- Set bounds for the shadowing analysis -------------------------------------------------

const std::vector<ip_prefix>& everything() {
  static const std::vector<ip_prefix> all{*ip_prefix::parse("0.0.0.0/0"), *ip_prefix::parse("::/0")};
  return all;
}

bool overlap(const ip_prefix& a, const ip_prefix& b) {
  return a.network.v6 == b.network.v6 && (a.contains(b) || b.contains(a));
}

// The (list, depth) already expanded into one output: expanding one again adds only what is there
// (a diamond of ACL references would otherwise be expanded 2^depth times).
using expanded = std::set<std::pair<const address_match_list*, int>>;

void upper_bound(const config& cfg, const address_match_list& list, std::vector<ip_prefix>& out, int depth,
                 expanded& seen);

// Every address the element itself (ignoring its negation) may match, as prefixes.
void element_upper(const config& cfg, const address_match_element& e, std::vector<ip_prefix>& out, int depth,
                   expanded& seen) {
  switch (e.what) {
    case kind::prefix: out.push_back(e.prefix); return;
    case kind::none: return;
    case kind::nested:
    case kind::acl_ref: {
      const auto* inner = inner_list(cfg, e);
      if (!inner || depth >= max_nesting) {
        out.insert(out.end(), everything().begin(), everything().end());
        return;
      }
      if (seen.insert({inner, depth + 1}).second) upper_bound(cfg, *inner, out, depth + 1, seen);
      return;
    }
    default:  // any; localhost and localnets depend on the host; key and geoip on the client's key or place
      out.insert(out.end(), everything().begin(), everything().end());
  }
}

// Over-approximation of the addresses a list accepts: its non-negated elements.
void upper_bound(const config& cfg, const address_match_list& list, std::vector<ip_prefix>& out, int depth,
                 expanded& seen) {
  for (const auto& e : list.elements)
    if (!e.negated) element_upper(cfg, e, out, depth, seen);
}

void upper_bound(const config& cfg, const address_match_list& list, std::vector<ip_prefix>& out, int depth) {
  expanded seen;
  upper_bound(cfg, list, out, depth, seen);
}

// A prefix that is certainly accepted, except for addresses in `excluded`.
struct accepted {
  ip_prefix prefix;
  std::vector<ip_prefix> excluded;
};

// Under-approximation of the addresses a list accepts, for every host and every client key.
// The (list, depth, exclusions) already expanded into one output, as `expanded`.
using expanded_with = std::set<std::tuple<const address_match_list*, int, std::vector<ip_prefix>>>;

void lower_bound(const config& cfg, const address_match_list& list, std::vector<accepted>& out,
                 std::vector<ip_prefix> excluded, int depth, expanded_with& seen) {
  for (const auto& e : list.elements) {
    if (e.negated) {
      expanded fresh;  // another output: excluded
      element_upper(cfg, e, excluded, depth, fresh);
      continue;
    }
    switch (e.what) {
      case kind::prefix: out.push_back({e.prefix, excluded}); break;
      case kind::any:
        for (const auto& p : everything()) out.push_back({p, excluded});
        break;
      case kind::nested:
      case kind::acl_ref:
        if (const auto* inner = inner_list(cfg, e); inner && depth < max_nesting)
          if (seen.insert({inner, depth + 1, excluded}).second) lower_bound(cfg, *inner, out, excluded, depth + 1, seen);
        break;
      default: break;
    }
  }
}

void lower_bound(const config& cfg, const address_match_list& list, std::vector<accepted>& out,
                 std::vector<ip_prefix> excluded, int depth) {
  expanded_with seen;
  lower_bound(cfg, list, out, std::move(excluded), depth, seen);
}

bool certainly_takes(const std::vector<accepted>& lower, const ip_prefix& q) {
  for (const auto& a : lower) {
    if (!a.prefix.contains(q)) continue;
    if (std::none_of(a.excluded.begin(), a.excluded.end(), [&](const ip_prefix& x) { return overlap(x, q); }))
      return true;
  }
  return false;
}

bool takes_nothing(const config& cfg, const address_match_list& list) {
  std::vector<ip_prefix> up;
  upper_bound(cfg, list, up, 0);
  return up.empty();
}

// ---- Prefixes a list accepts, keys, host facts -----------------------------------------------

// The addresses `localhost` or `localnets` stand for, as element_matches() counts them.
std::vector<ip_prefix> host_prefixes(kind what, const host_addresses& host) {
  std::vector<ip_prefix> out;
  if (what == kind::localhost) {
    if (host.local.empty()) return {*ip_prefix::parse("127.0.0.1"), *ip_prefix::parse("::1")};
    for (const auto& a : host.local) out.push_back({a, a.bits()});
    return out;
  }
  if (host.nets.empty()) return {*ip_prefix::parse("127.0.0.0/8"), *ip_prefix::parse("::1/128")};
  return host.nets;
}

void accepted_in(const config& cfg, const address_match_list& list, const host_addresses& host,
                 std::vector<ip_prefix> rejected, std::vector<ip_prefix>& out, int depth, expanded_with& seen) {
  auto rejected_whole = [&](const ip_prefix& p) {
    return std::any_of(rejected.begin(), rejected.end(), [&](const ip_prefix& r) { return r.contains(p); });
  };
  auto add = [&](const ip_prefix& p) {
    if (!rejected_whole(p)) out.push_back(p);
  };
  for (const auto& e : list.elements) {
    if (e.negated) {
      // What the element matches is rejected for the rest of this list (a nested list or an ACL
      // rejects what it accepts); keys and geoip do not depend on the address.
      switch (e.what) {
        case kind::prefix: rejected.push_back(e.prefix); break;
        case kind::any: return;
        case kind::localhost:
        case kind::localnets:
          for (const auto& p : host_prefixes(e.what, host)) rejected.push_back(p);
          break;
        case kind::nested:
        case kind::acl_ref:
          if (const auto* inner = inner_list(cfg, e); inner && depth < max_nesting) {
            expanded_with fresh;  // another output: rejected
            accepted_in(cfg, *inner, host, {}, rejected, depth + 1, fresh);
          }
          break;
        default: break;
      }
      continue;
    }
    switch (e.what) {
      case kind::prefix: add(e.prefix); break;
      case kind::any:
        for (const auto& p : everything()) add(p);
        break;
      case kind::localhost:
      case kind::localnets:
        for (const auto& p : host_prefixes(e.what, host)) add(p);
        break;
      case kind::nested:
      case kind::acl_ref:
        // What the inner list rejects is no match here: its negations stay inside it.
        if (const auto* inner = inner_list(cfg, e); inner && depth < max_nesting)
          if (seen.insert({inner, depth + 1, rejected}).second) accepted_in(cfg, *inner, host, rejected, out, depth + 1, seen);
        break;
      default: break;  // none, key, geoip
    }
  }
}

// Calls f(element) for every element `list` reaches through ACLs and nested lists, each ACL once.
template <class F>
void each_reached(const config& cfg, const address_match_list& list, F&& f) {
  // A list that refers to no other list (most are) is its elements: no work list, no set.
  if (std::none_of(list.elements.begin(), list.elements.end(),
                   [](const address_match_element& e) { return e.what == kind::nested || e.what == kind::acl_ref; })) {
    for (const auto& e : list.elements) f(e);
    return;
  }
  std::vector<std::pair<const address_match_list*, int>> todo{{&list, 0}};
  std::unordered_set<const address_match_list*> seen;
  while (!todo.empty()) {
    auto [l, depth] = todo.back();
    todo.pop_back();
    for (const auto& e : l->elements) {
      f(e);
      const auto* inner = inner_list(cfg, e);
      if (!inner || depth + 1 > max_nesting || !seen.insert(inner).second) continue;
      todo.push_back({inner, depth + 1});
    }
  }
}

// Every key name a list mentions, in order of appearance, once each.
void keys_of(const config& cfg, const address_match_list& list, std::vector<std::string>& out,
             std::unordered_set<std::string>& seen) {
  each_reached(cfg, list, [&](const address_match_element& e) {
    if (e.what != kind::key) return;
    if (seen.insert(key_form(e.ref)).second) out.push_back(e.ref);
  });
}

// Addresses of clients outside every LAN: documentation ranges and public resolvers.
const std::vector<ip_address>& outside_candidates() {
  static const std::vector<ip_address> all = [] {
    std::vector<ip_address> v;
    for (const char* c : {"203.0.113.200", "198.51.100.200", "192.0.2.200", "8.8.8.8", "1.1.1.1", "2001:db8::200",
                          "2001:db8:ffff::1", "2001:4860:4860::8888"})
      v.push_back(*ip_address::parse(c));
    return v;
  }();
  return all;
}

// The view a recursive IN query from `client`, signed with `key` when set, reaches whatever
// address it was sent to (views whose match-destinations take nothing are left out).
const view_decl* answering(const config& cfg, const ip_address& client, const std::string* key,
                           const host_addresses& host) {
  for (const auto& v : cfg.views) {
    if (!iequals(v.rrclass, "IN") || takes_nothing(cfg, v.match_destinations)) continue;
    if (evaluate(cfg, v.match_clients, client, key, host, 0) == verdict::accept) return &v;
  }
  return nullptr;
}

// The first key (of `keys`) that selects `v` for a client outside, or "".
std::string key_selecting(const config& cfg, const view_decl* v, const std::vector<std::string>& keys,
                          const host_addresses& host) {
  if (!v) return {};
  for (const auto& k : keys)
    for (const auto& a : outside_candidates())
      if (const auto* w = answering(cfg, a, &k, host)) {
        if (w == v) return k;
        break;  // the first candidate with an answer decides for this key
      }
  return {};
}

// The internal and external views told apart by keys; reason set when they cannot be.
view_pair by_keys(const config& cfg, const std::vector<std::string>& keys, const host_addresses& host) {
  view_pair p;
  if (keys.empty()) {
    p.reason = "no view is selected by a TSIG key";
    return p;
  }
  const view_decl* keyless = nullptr;
  for (const auto& a : outside_candidates())
    if ((keyless = answering(cfg, a, nullptr, host))) break;
  // The key-selected views other than the keyless clients' one, in the order of the views.
  std::vector<const view_decl*> keyed;
  for (const auto& k : keys)
    for (const auto& a : outside_candidates())
      if (const auto* v = answering(cfg, a, &k, host)) {
        if (v != keyless && std::find(keyed.begin(), keyed.end(), v) == keyed.end()) keyed.push_back(v);
        break;
      }
  std::sort(keyed.begin(), keyed.end());  // views are stored in order: by address is by position
  if (keyed.empty()) {
    p.reason = keyless ? fmt::format("every TSIG key reaches view '{}', as clients without a key do", keyless->name)
                       : "no view takes a client from outside, with or without a TSIG key";
    return p;
  }
  if (!keyless) {
    std::string names;
    for (const auto* v : keyed) names += (names.empty() ? "'" : ", '") + v->name + "'";
    p.reason = fmt::format("views {} are selected by TSIG keys only and none takes clients without a key: which one is "
                           "internal is not written in the configuration",
                           names);
    if (keyed.size() == 1) p.internal = keyed.front();
    p.internal_key = key_selecting(cfg, p.internal, keys, host);
    return p;
  }
  p.internal = keyed.front();
  p.external = keyless;
  p.by_keys = true;
  return p;
}

std::string list_text(const address_match_list& l) {
  std::string s = "{";
  for (const auto& t : match_list_texts(l)) s += " " + t + ";";
  return s + " }";
}

}  // namespace

bool matches(const config& cfg, const address_match_list& list, const ip_address& client, const host_addresses& host) {
  return evaluate(cfg, list, client, nullptr, host, 0) == verdict::accept;
}

const view_decl* select_view(const config& cfg, const ip_address& client, const std::optional<ip_address>& destination,
                             const host_addresses& host, bool recursive) {
  for (const auto& v : cfg.views) {
    if (!iequals(v.rrclass, "IN")) continue;
    if (v.match_recursive_only && !recursive) continue;
    if (!matches(cfg, v.match_clients, client, host)) continue;
    if (destination && !matches(cfg, v.match_destinations, *destination, host)) continue;
    return &v;
  }
  return nullptr;
}

const view_decl* select_view(const config& cfg, const ip_address& client, const std::optional<ip_address>& destination,
                             const host_addresses& host) {
  return select_view(cfg, client, destination, host, true);
}

const view_decl* find_view(const config& cfg, const std::string& name) {
  for (const auto& v : cfg.views)
    if (v.name == name) return &v;
  return nullptr;
}

std::pair<const view_decl*, const view_decl*> infer_views(const config& cfg, const ip_address& source,
                                                          const host_addresses& host) {
  const view_decl* internal = answering(cfg, source, nullptr, host);
  const view_decl* external = nullptr;
  for (const auto& a : outside_candidates()) {
    if (internal && matches(cfg, internal->match_clients, a, host)) continue;
    if (const auto* v = answering(cfg, a, nullptr, host); v && v != internal) {
      external = v;
      break;
    }
  }
  return {internal, external};
}

bool matches_with_key(const config& cfg, const address_match_list& list, const ip_address& client,
                      const std::string& key, const host_addresses& host) {
  return evaluate(cfg, list, client, &key, host, 0) == verdict::accept;
}

std::vector<ip_prefix> accepted_prefixes(const config& cfg, const address_match_list& list,
                                         const host_addresses& host) {
  std::vector<ip_prefix> found, out;
  expanded_with expansions;
  accepted_in(cfg, list, host, {}, found, 0, expansions);
  std::set<ip_prefix> seen;  // each once, in the order found
  for (const auto& p : found)
    if (seen.insert(p).second) out.push_back(p);
  return out;
}

std::vector<std::string> host_dependent_elements(const config& cfg, const address_match_list& list) {
  std::vector<std::string> out;
  each_reached(cfg, list, [&](const address_match_element& e) {
    if (e.what == kind::localhost || e.what == kind::localnets) out.push_back(fmt::format("{} ({})", e.text, e.where.str()));
  });
  return out;
}

view_pair infer_view_pair(const config& cfg, const std::optional<ip_address>& source, const host_addresses& host) {
  std::vector<std::string> keys;
  std::unordered_set<std::string> seen_keys;
  for (const auto& v : cfg.views)
    if (iequals(v.rrclass, "IN")) keys_of(cfg, v.match_clients, keys, seen_keys);

  view_pair p;
  std::string by_address;
  if (source) {
    auto [in, ex] = infer_views(cfg, *source, host);
    p.internal = in;
    p.external = ex;
    if (!in)
      by_address = fmt::format("no view takes the vantage address {}", source->str());
    else if (!ex)
      by_address = fmt::format("no view takes a client from outside that view '{}' rejects", in->name);
  } else {
    by_address = "the vantage address is not known";
  }
  if (!p.internal || !p.external) {
    auto k = by_keys(cfg, keys, host);
    if (k.internal && k.external) {
      p = std::move(k);
    } else {
      if (!p.internal) p.internal = k.internal;
      p.reason = by_address + "; " + k.reason;
    }
  }
  if (p.internal && p.external) {
    p.internal_key = key_selecting(cfg, p.internal, keys, host);
    p.external_key = key_selecting(cfg, p.external, keys, host);
  }
  for (const auto* v : {p.internal, p.external}) {
    if (!v) continue;
    const std::string& k = v == p.internal ? p.internal_key : p.external_key;
    if (!k.empty())
      p.notes.push_back(fmt::format("view '{}' is selected by TSIG key '{}'{}", v->name, k,
                                    p.by_keys ? (v == p.internal ? " (the internal view)"
                                                                 : " and by clients without a key (the external view)")
                                              : ""));
    else if (p.by_keys && v == p.external)
      p.notes.push_back(fmt::format("view '{}' takes the clients without a TSIG key (the external view)", v->name));
    if (host.local.empty() || host.nets.empty()) {
      auto deps = host_dependent_elements(cfg, v->match_clients);
      if (!deps.empty()) {
        std::string list;
        for (const auto& d : deps) list += (list.empty() ? "" : ", ") + d;
        p.notes.push_back(fmt::format(
            "view '{}' matches {}: the DNS server's own addresses and networks are not known here, so only "
            "127.0.0.1 and ::1 count as localhost, 127.0.0.0/8 and ::1 as localnets",
            v->name, list));
      }
    }
  }
  return p;
}

std::vector<std::string> match_list_texts(const address_match_list& list) {
  std::vector<std::string> out;
  out.reserve(list.elements.size());
  for (const auto& e : list.elements) out.push_back(e.text);
  return out;
}

namespace {

// What the shadowing analysis needs of one view's lists, computed once.
struct view_bounds {
  std::vector<ip_prefix> up_clients, up_destinations;      // what the view may take
  std::vector<accepted> low_clients, low_destinations;     // what it certainly takes
};

// Does `low` certainly take every prefix of `up` (covers() with both bounds computed)?
bool covers_all(const std::vector<accepted>& low, const std::vector<ip_prefix>& up) {
  return !up.empty() && std::all_of(up.begin(), up.end(), [&](const ip_prefix& q) { return certainly_takes(low, q); });
}

// The certain prefixes of the views seen so far, by prefix: which earlier views certainly take q.
struct taken_index {
  prefix_lookup clients, destinations;  // value: number in entries
  struct entry {
    std::uint32_t view;
    const accepted* a;
  };
  std::vector<entry> entries;
  // How many prefixes of length 0 (any, ::/0) clients and destinations hold, per family: the count
  // that covers a prefix of length 0, without a look-up (match-destinations is `any` in most views).
  std::size_t whole[2][2] = {};  // [destinations][v6]

  void add(std::uint32_t view, const view_bounds& b) {
    for (const auto& a : b.low_clients) add_one(true, view, a);
    for (const auto& a : b.low_destinations) add_one(false, view, a);
  }
  void add_one(bool is_clients, std::uint32_t view, const accepted& a) {
    (is_clients ? clients : destinations).add(a.prefix, static_cast<std::uint32_t>(entries.size()));
    if (std::min(a.prefix.length, a.prefix.network.bits()) == 0) ++whole[!is_clients][a.prefix.network.v6];
    entries.push_back({view, &a});
  }
  // prefix_lookup::count_covering(q) of clients or destinations.
  std::size_t count_covering(bool is_clients, const ip_prefix& q) const {
    if (q.length == 0) return whole[!is_clients][q.network.v6];
    return (is_clients ? clients : destinations).count_covering(q);
  }
  // The views that certainly take q (by `l`), in no particular order, duplicates possible.
  void views_taking(const prefix_lookup& l, const ip_prefix& q, std::vector<std::uint32_t>& out) const {
    l.each_covering(q, [&](std::uint32_t n) {
      const auto& a = *entries[n].a;
      if (std::none_of(a.excluded.begin(), a.excluded.end(), [&](const ip_prefix& x) { return overlap(x, q); }))
        out.push_back(entries[n].view);
    });
  }
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // as iequals()
  return out;
}

}  // namespace

// A sweep over the views in order: an index of the prefixes every earlier view certainly takes, per
// class and match-recursive-only, answers "which earlier views may shadow this one" from the later
// view's most selective prefix; those candidates, in order, get the full two-list test, and the first
// that passes is the one reported (as the all-pairs test did). Linear in the views when their lists
// are short and distinct; never more work than comparing every pair.
std::vector<hc::finding> shadowed_views(const config& cfg) {
  std::vector<hc::finding> out;
  std::vector<view_bounds> bounds(cfg.views.size());
  for (std::size_t j = 0; j < cfg.views.size(); ++j) {
    const auto& v = cfg.views[j];
    auto& b = bounds[j];
    upper_bound(cfg, v.match_clients, b.up_clients, 0);
    upper_bound(cfg, v.match_destinations, b.up_destinations, 0);
    lower_bound(cfg, v.match_clients, b.low_clients, {}, 0);
    lower_bound(cfg, v.match_destinations, b.low_destinations, {}, 0);
  }
  // By class (as iequals compares it) and match-recursive-only.
  std::unordered_map<std::string, taken_index> groups;
  auto group_key = [](const view_decl& v, bool recursive_only) {
    return lowercase(v.rrclass) + (recursive_only ? "/r" : "/a");
  };
  std::vector<std::uint32_t> cand;
  std::vector<const taken_index*> eligible_buffer;  // reused per view
  for (std::size_t j = 0; j < cfg.views.size(); ++j) {
    const auto& later = cfg.views[j];
    const auto& lb = bounds[j];
    // An earlier recursive-only view cannot shadow a view that also takes non-recursive queries.
    std::vector<const taken_index*>& eligible = eligible_buffer;
    eligible.clear();
    for (bool rec : {false, true}) {
      if (rec && !later.match_recursive_only) continue;
      if (auto it = groups.find(group_key(later, rec)); it != groups.end()) eligible.push_back(&it->second);
    }
    if (!eligible.empty() && !lb.up_clients.empty() && !lb.up_destinations.empty()) {
      // The prefix of the later view that the fewest earlier prefixes cover drives the search.
      const ip_prefix* drive = nullptr;
      bool drive_clients = true;
      std::size_t fewest = 0;
      for (bool is_clients : {true, false})
        for (const auto& q : is_clients ? lb.up_clients : lb.up_destinations) {
          std::size_t n = 0;
          for (const auto* g : eligible) n += g->count_covering(is_clients, q);
          if (!drive || n < fewest) {
            drive = &q;
            drive_clients = is_clients;
            fewest = n;
          }
        }
      cand.clear();
      for (const auto* g : eligible) g->views_taking(drive_clients ? g->clients : g->destinations, *drive, cand);
      std::sort(cand.begin(), cand.end());
      cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
      for (std::uint32_t i : cand) {
        const auto& eb = bounds[i];
        if (!covers_all(eb.low_clients, lb.up_clients) || !covers_all(eb.low_destinations, lb.up_destinations))
          continue;
        const auto& earlier = cfg.views[i];
        hc::finding f;
        f.kind = finding_kind::view_shadowed;
        f.sev = severity::critical;
        f.view = later.name;
        f.evidence = fmt::format("view \"{}\" ({}) comes first and its match-clients {} takes every client of view \"{}\" ({})",
                                 earlier.name, earlier.where.str(), list_text(earlier.match_clients), later.name,
                                 later.where.str());
        f.fix = fmt::format("move view \"{}\" before view \"{}\", or narrow the match-clients of view \"{}\"", later.name,
                            earlier.name, earlier.name);
        out.push_back(std::move(f));
        break;
      }
    }
    groups[group_key(later, later.match_recursive_only)].add(static_cast<std::uint32_t>(j), lb);
  }
  return out;
}

}  // namespace hc::bind
