#include "check/vantage.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "probes/dns.hpp"
#include "probes/dns_wire.hpp"

namespace hc::check {
namespace {

// The prefixes of a view's match-clients (ACLs followed) that can be a LAN: not any, not loopback.
std::vector<ip_prefix> lan_prefixes(const bind::config& cfg, const bind::view_decl& v) {
  auto ps = bind::accepted_prefixes(cfg, v.match_clients);
  std::erase_if(ps, [](const ip_prefix& p) { return p.length == 0 || p.network.is_loopback(); });
  return ps;
}

// A probe address on the LAN side of a view's match-clients, for when the vantage point is not known:
// from a LAN prefix, else (a view for the host itself) from a loopback one.
std::optional<ip_address> address_inside(const bind::config& cfg, const bind::view_decl& v) {
  auto ps = bind::accepted_prefixes(cfg, v.match_clients);
  std::erase_if(ps, [](const ip_prefix& p) { return p.length == 0; });
  std::stable_partition(ps.begin(), ps.end(), [](const ip_prefix& p) { return !p.network.is_loopback(); });
  for (const auto& p : ps) {
    ip_address a = p.network;
    if (p.length < a.bits()) a.bytes[a.v6 ? 15 : 3] |= 1;
    if (bind::matches(cfg, v.match_clients, a)) return a;
  }
  return std::nullopt;
}

// The LAN the vantage point sits in: the internal view's prefix that holds it, else its /24 or /64.
std::vector<ip_prefix> lan_of(const bind::config* cfg, const bind::view_decl* internal,
                              const std::optional<ip_address>& source) {
  std::vector<ip_prefix> out;
  if (cfg && internal) {
    for (const auto& p : lan_prefixes(*cfg, *internal))
      if (!source || p.contains(*source)) out.push_back(p);
  }
  if (out.empty() && source) {
    if (auto p = ip_prefix::parse(source->str() + (source->v6 ? "/64" : "/24"))) out.push_back(*p);
  }
  return out;
}

// The views' names for a message: the first 20, then how many more.
std::string view_names(const bind::config& cfg) {
  constexpr std::size_t shown = 20;
  std::string out;
  for (std::size_t i = 0; i < cfg.views.size() && i < shown; ++i) out += (out.empty() ? "" : ", ") + cfg.views[i].name;
  if (cfg.views.size() > shown) out += fmt::format(" and {} more", cfg.views.size() - shown);
  return out;
}

// Outside addresses (documentation prefixes) that stand for a keyless client from the Internet.
const char* const outside_samples[] = {"203.0.113.77", "198.51.100.77", "192.0.2.77"};

// The first key a non-negated `key` element of `list` (nested lists and ACLs not followed) names
// that lets `client` into the list, or "".
std::string key_in_list(const bind::config& cfg, const bind::address_match_list& list, const ip_address& client) {
  for (const auto& e : list.elements) {
    if (e.what == bind::address_match_element::kind::key && !e.negated &&
        bind::matches_with_key(cfg, list, client, e.ref))
      return e.ref;
    if (e.what == bind::address_match_element::kind::nested && e.nested && !e.negated) {
      auto k = key_in_list(cfg, *e.nested, client);
      if (!k.empty() && bind::matches_with_key(cfg, list, client, k)) return k;
    }
  }
  return {};
}

// Does a client at `a` without a key reach `v`?
bool reached_unsigned(const bind::config& cfg, const bind::view_decl& v, const ip_address& a) {
  return bind::select_view(cfg, a) == &v;
}

// The TSIG key the DNS checks of the internal (or external) view must be signed with: none when the
// vantage point (or, for the external view, a client outside) reaches it without a key.
std::string needed_key(const bind::config& cfg, const bind::view_decl& v, const std::string& inferred,
                       const std::optional<ip_address>& source, bool internal) {
  std::vector<ip_address> clients;
  if (internal && source) clients.push_back(*source);
  if (!internal || !source)
    for (const char* a : outside_samples) clients.push_back(*ip_address::parse(a));
  for (const auto& c : clients)
    if (reached_unsigned(cfg, v, c)) return {};
  if (!inferred.empty()) return inferred;
  for (const auto& c : clients)
    if (auto k = key_in_list(cfg, v.match_clients, c); !k.empty()) return k;
  return {};
}

// The views named with --internal-view / --external-view, else inferred from the vantage address,
// else from TSIG keys, else from the first view that keeps some clients for itself. The keys that
// select the chosen views, as inferred, go to internal_key and external_key.
void choose_views(const run_options& o, const bind::config& cfg, vantage_point& vp, std::string& internal_key,
                  std::string& external_key) {
  auto named = [&](const char* option, const std::string& name) -> const bind::view_decl* {
    if (name.empty()) return nullptr;
    const bind::view_decl* v = bind::find_view(cfg, name);
    if (!v)
      vp.findings.push_back(config_error(fmt::format("{}: {} has no view named '{}'", option, o.named_conf, name),
                                         "name one of the views: " + view_names(cfg)));
    return v;
  };
  vp.internal = named("--internal-view", o.internal_view);
  vp.external = named("--external-view", o.external_view);
  if (!o.internal_view.empty() && !o.external_view.empty()) return;

  if (cfg.views.size() == 1) {
    // No views (or one): not split-horizon. The one view answers both sides.
    vp.internal = vp.external = &cfg.views.front();
    vp.single_view = true;
    vp.notes.push_back(fmt::format(
        "{} declares no split-horizon views: every client gets view '{}'; the names are checked through the "
        "hairpin against it, and there is no view diff",
        o.named_conf, cfg.views.front().name));
    return;
  }

  bind::view_pair inferred = bind::infer_view_pair(cfg, vp.source);
  if (!inferred.internal || !inferred.external) {
    // The vantage point is unknown or outside every internal view: take the first view that keeps
    // some clients for itself, and say so. Each try reads every view, so the tries are bounded (the
    // first view with a LAN address is the usual answer): past the bound, no guess is made and the
    // views must be named.
    constexpr std::size_t max_tries = 64;
    std::size_t tries = 0;
    for (const auto& v : cfg.views) {
      auto inside = address_inside(cfg, v);
      if (!inside) continue;
      if (++tries > max_tries) {
        inferred.reason += fmt::format("{}the first {} views that take a LAN address were tried as the internal view",
                                       inferred.reason.empty() ? "" : "; ", max_tries);
        break;
      }
      auto pair = bind::infer_view_pair(cfg, *inside);
      if (pair.internal == &v && pair.external) {
        if (vp.source)
          vp.notes.push_back(fmt::format(
              "the vantage address {} is not in an internal view's match-clients; assuming view '{}' is the "
              "internal one (--source, --internal-view)",
              vp.source->str(), v.name));
        inferred = pair;
        break;
      }
    }
  }
  if (!vp.internal && o.internal_view.empty()) vp.internal = inferred.internal;
  if (!vp.external && o.external_view.empty()) vp.external = inferred.external;
  if (vp.internal && vp.internal == inferred.internal) internal_key = inferred.internal_key;
  if (vp.external && vp.external == inferred.external) external_key = inferred.external_key;
  for (auto& n : inferred.notes) vp.notes.push_back(std::move(n));
  if (!vp.internal || !vp.external) {
    std::string why = inferred.reason.empty() ? std::string() : " (" + inferred.reason + ")";
    vp.findings.push_back(not_checked(
        "", "could not tell the internal and the external view apart" + why +
                "; the view diff and the zone-file comparisons were not made",
        "name them with --internal-view and --external-view (views: " + view_names(cfg) + ")"));
  }
}

}  // namespace

std::optional<ip_address> kernel_source_for(const ip_address& destination) {
  int fd = ::socket(destination.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<ip_address> out;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (destination.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(53);
    std::memcpy(&s6->sin6_addr, destination.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(53);
    std::memcpy(&s4->sin_addr, destination.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  }
  // connect() on a UDP socket only asks the routing table; nothing is sent.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
      ip_address a;
      if (local.ss_family == AF_INET6) {
        a.v6 = true;
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, 16);
      } else {
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, 4);
      }
      out = a;
    }
  }
  ::close(fd);
  return out;
}

vantage_point find_vantage(const run_options& o, const run_inputs& in) {
  vantage_point vp;
  vp.resolver = o.resolver;
  if (!vp.resolver && !o.static_only) {
    if (auto ns = probes::read_first_nameserver(o.resolv_conf)) vp.resolver = ip_endpoint{*ns, 53};
  }
  vp.source = o.source;
  if (!vp.source && !o.static_only) {
    if (vp.resolver) vp.source = kernel_source_for(vp.resolver->address);
    if (!vp.source && !o.external_dns.empty()) vp.source = kernel_source_for(o.external_dns.front().address);
  }
  std::string internal_key, external_key;
  if (in.config) choose_views(o, *in.config, vp, internal_key, external_key);
  vp.lan = lan_of(in.config ? &*in.config : nullptr, vp.internal, vp.source);
  auto given = read_tsig_key_files(o.tsig_key_files, vp);
  if (in.config && vp.internal && vp.external && !vp.single_view) {
    const auto& cfg = *in.config;
    struct side {
      const bind::view_decl* view;
      std::string key;
      view_signing* out;
    };
    for (const side& s : {side{vp.internal, needed_key(cfg, *vp.internal, internal_key, vp.source, true), &vp.internal_signing},
                   side{vp.external, needed_key(cfg, *vp.external, external_key, vp.source, false), &vp.external_signing}}) {
      std::string from;
      // --view NAME=KEYFILE (issue #18): the key that transfers view NAME signs its live checks too,
      // before --tsig-key and named.conf. A file that does not read is the transfer's config-error
      // (zone_transfer.cpp), not reported twice: the view then falls back to the other sources.
      std::vector<bind::key_decl> view_keys;
      std::string view_file;
      for (const auto& [name, file] : o.transfer_views)
        if (name == s.view->name && !file.empty()) {
          stage_report quiet;
          view_keys = read_tsig_key_files({file}, quiet);
          view_file = file;
        }
      if (!s.key.empty() && bind::find_key(view_keys, s.key)) {
        *s.out = signing_for(cfg, *s.view, s.key, view_keys, from);
        from = "--view " + s.view->name + "=" + view_file;
      } else {
        *s.out = signing_for(cfg, *s.view, s.key, given, from);
      }
      if (s.key.empty()) continue;
      if (s.out->key)
        vp.notes.push_back(fmt::format("view '{}' is reached with TSIG key '{}' (from {}): its DNS checks are signed "
                                       "with it and the replies' signatures verified",
                                       s.view->name, s.key, from));
      else
        vp.notes.push_back(fmt::format("view '{}' is selected by TSIG key '{}': {}", s.view->name, s.key, s.out->missing));
    }
  }
  // A key given that reaches neither view is not used: say so (it may be a typo in the key name),
  // for the first few keys only, whatever the key files hold.
  std::size_t unused = 0;
  for (const auto& k : given) {
    auto is = [&](const view_signing& s) { return s.key && s.key->name == k.name; };
    if (is(vp.internal_signing) || is(vp.external_signing)) continue;
    if (++unused <= 5)
      vp.notes.push_back(fmt::format("--tsig-key {}: key '{}' is not needed to reach the internal or the external view; "
                                     "not used",
                                     k.where.file, k.name));
  }
  if (unused > 5) vp.notes.push_back(fmt::format("--tsig-key: {} more keys not used", unused - 5));
  return vp;
}

std::vector<bind::key_decl> read_tsig_key_files(const std::vector<std::string>& files, stage_report& report) {
  std::vector<bind::key_decl> keys;
  for (const auto& f : files) {
    diagnostics diags;
    try {
      for (auto& k : bind::read_key_file(f, diags)) keys.push_back(std::move(k));
    } catch (const input_error& e) {
      report.findings.push_back(config_error(std::string("--tsig-key: ") + e.what(),
                                             "give a key file as tsig-keygen writes it (--tsig-key FILE)"));
    }
    for (const auto& d : diags.all()) {
      if (d.is_error)
        report.findings.push_back(config_error("--tsig-key: " + d.str(),
                                               "give a key file as tsig-keygen writes it: key \"NAME\" { algorithm "
                                               "hmac-sha256; secret \"BASE64\"; };"));
      else
        report.notes.push_back("warning: --tsig-key: " + d.str());
    }
  }
  return keys;
}

view_signing signing_for(const bind::config& cfg, const bind::view_decl& view, const std::string& key_name,
                         const std::vector<bind::key_decl>& given, std::string& key_source) {
  view_signing out;
  out.key_name = key_name;
  if (key_name.empty()) return out;
  const bind::key_decl* k = bind::find_key(given, key_name);
  if (k)
    key_source = "--tsig-key " + k->where.file;
  else if ((k = bind::find_key(cfg.keys, key_name, view.name)))
    key_source = "named.conf " + k->where.str();
  if (!k) {
    out.missing = fmt::format(
        "no key statement for '{}' was readable in {} and no --tsig-key gave it; its DNS checks were not made: give "
        "the key with --tsig-key FILE",
        key_name, cfg.file);
    return out;
  }
  if (!probes::tsig_algorithm_for_ldns(k->algorithm)) {
    out.missing = fmt::format(
        "key '{}' ({}) uses {}, which hairpin-check cannot sign with; its DNS checks were not made: give a key of "
        "hmac-sha256, hmac-sha512, hmac-sha1 or hmac-md5 with --tsig-key FILE",
        key_name, key_source, k->algorithm);
    return out;
  }
  out.key = probes::tsig_key{k->name, k->algorithm, k->secret};
  return out;
}

}  // namespace hc::check
