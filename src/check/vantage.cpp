#include "check/vantage.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "probes/dns.hpp"

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

// The views named with --internal-view / --external-view, else inferred from the vantage address,
// else from TSIG keys, else from the first view that keeps some clients for itself.
void choose_views(const run_options& o, const bind::config& cfg, vantage_point& vp) {
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
  if (in.config) choose_views(o, *in.config, vp);
  vp.lan = lan_of(in.config ? &*in.config : nullptr, vp.internal, vp.source);
  return vp;
}

}  // namespace hc::check
