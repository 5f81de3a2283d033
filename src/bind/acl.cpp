// Address match lists as BIND evaluates them, view selection, and the view analyses.

#include <algorithm>

#include <fmt/format.h>

#include "bind/config.hpp"
#include "bind/parser.hpp"

namespace hc::bind {

namespace {

using kind = address_match_element::kind;
constexpr int max_nesting = 64;

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

verdict evaluate(const config& cfg, const address_match_list& list, const ip_address& a, const host_addresses& host,
                 int depth);

// Does the element (before its negation is applied) match the address?
bool element_matches(const config& cfg, const address_match_element& e, const ip_address& a,
                     const host_addresses& host, int depth) {
  switch (e.what) {
    case kind::prefix: return e.prefix.contains(a);
    case kind::any: return true;
    case kind::none: return false;
    case kind::key:
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
      return inner && depth < max_nesting && evaluate(cfg, *inner, a, host, depth + 1) == verdict::accept;
    }
  }
  return false;
}

verdict evaluate(const config& cfg, const address_match_list& list, const ip_address& a, const host_addresses& host,
                 int depth) {
  for (const auto& e : list.elements)
    if (element_matches(cfg, e, a, host, depth)) return e.negated ? verdict::reject : verdict::accept;
  return verdict::no_match;
}

// ---- Set bounds for the shadowing analysis -------------------------------------------------

const std::vector<ip_prefix>& everything() {
  static const std::vector<ip_prefix> all{*ip_prefix::parse("0.0.0.0/0"), *ip_prefix::parse("::/0")};
  return all;
}

bool overlap(const ip_prefix& a, const ip_prefix& b) {
  return a.network.v6 == b.network.v6 && (a.contains(b) || b.contains(a));
}

void upper_bound(const config& cfg, const address_match_list& list, std::vector<ip_prefix>& out, int depth);

// Every address the element itself (ignoring its negation) may match, as prefixes.
void element_upper(const config& cfg, const address_match_element& e, std::vector<ip_prefix>& out, int depth) {
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
      upper_bound(cfg, *inner, out, depth + 1);
      return;
    }
    default:  // any; localhost and localnets depend on the host; key and geoip on the client's key or place
      out.insert(out.end(), everything().begin(), everything().end());
  }
}

// Over-approximation of the addresses a list accepts: its non-negated elements.
void upper_bound(const config& cfg, const address_match_list& list, std::vector<ip_prefix>& out, int depth) {
  for (const auto& e : list.elements)
    if (!e.negated) element_upper(cfg, e, out, depth);
}

// A prefix that is certainly accepted, except for addresses in `excluded`.
struct accepted {
  ip_prefix prefix;
  std::vector<ip_prefix> excluded;
};

// Under-approximation of the addresses a list accepts, for every host and every client key.
void lower_bound(const config& cfg, const address_match_list& list, std::vector<accepted>& out,
                 std::vector<ip_prefix> excluded, int depth) {
  for (const auto& e : list.elements) {
    if (e.negated) {
      element_upper(cfg, e, excluded, depth);
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
          lower_bound(cfg, *inner, out, excluded, depth + 1);
        break;
      default: break;
    }
  }
}

bool certainly_takes(const std::vector<accepted>& lower, const ip_prefix& q) {
  for (const auto& a : lower) {
    if (!a.prefix.contains(q)) continue;
    if (std::none_of(a.excluded.begin(), a.excluded.end(), [&](const ip_prefix& x) { return overlap(x, q); }))
      return true;
  }
  return false;
}

// Does `earlier` certainly take every address `later` may take? False when `later` takes nothing.
bool covers(const config& cfg, const address_match_list& earlier, const address_match_list& later) {
  std::vector<ip_prefix> up;
  upper_bound(cfg, later, up, 0);
  if (up.empty()) return false;
  std::vector<accepted> low;
  lower_bound(cfg, earlier, low, {}, 0);
  return std::all_of(up.begin(), up.end(), [&](const ip_prefix& q) { return certainly_takes(low, q); });
}

bool takes_nothing(const config& cfg, const address_match_list& list) {
  std::vector<ip_prefix> up;
  upper_bound(cfg, list, up, 0);
  return up.empty();
}

std::string list_text(const address_match_list& l) {
  std::string s = "{";
  for (const auto& t : match_list_texts(l)) s += " " + t + ";";
  return s + " }";
}

}  // namespace

bool matches(const config& cfg, const address_match_list& list, const ip_address& client, const host_addresses& host) {
  return evaluate(cfg, list, client, host, 0) == verdict::accept;
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
  // The view a recursive IN query from `client` reaches, whatever address it was sent to.
  auto answering = [&](const ip_address& client) -> const view_decl* {
    for (const auto& v : cfg.views) {
      if (!iequals(v.rrclass, "IN") || takes_nothing(cfg, v.match_destinations)) continue;
      if (matches(cfg, v.match_clients, client, host)) return &v;
    }
    return nullptr;
  };
  const view_decl* internal = answering(source);
  static const char* const candidates[] = {"203.0.113.200", "198.51.100.200", "192.0.2.200", "8.8.8.8", "1.1.1.1",
                                           "2001:db8::200",  "2001:db8:ffff::1", "2001:4860:4860::8888"};
  const view_decl* external = nullptr;
  for (const char* c : candidates) {
    auto a = *ip_address::parse(c);
    if (internal && matches(cfg, internal->match_clients, a, host)) continue;
    if (const auto* v = answering(a); v && v != internal) {
      external = v;
      break;
    }
  }
  return {internal, external};
}

std::vector<std::string> match_list_texts(const address_match_list& list) {
  std::vector<std::string> out;
  out.reserve(list.elements.size());
  for (const auto& e : list.elements) out.push_back(e.text);
  return out;
}

std::vector<hc::finding> shadowed_views(const config& cfg) {
  std::vector<hc::finding> out;
  for (std::size_t j = 1; j < cfg.views.size(); ++j) {
    const auto& later = cfg.views[j];
    for (std::size_t i = 0; i < j; ++i) {
      const auto& earlier = cfg.views[i];
      if (!iequals(earlier.rrclass, later.rrclass)) continue;
      if (earlier.match_recursive_only && !later.match_recursive_only) continue;
      if (!covers(cfg, earlier.match_clients, later.match_clients)) continue;
      if (!covers(cfg, earlier.match_destinations, later.match_destinations)) continue;
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
  return out;
}

}  // namespace hc::bind
