#include "zone/unbound_overrides.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/ascii.hpp"
#include "core/dns_text.hpp"
#include "core/input_file.hpp"

namespace hc::zone {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// OPNsense's BooleanField: "1" is on; an absent element takes the model's default.
bool flag(const xml::node& n, std::string_view name, bool absent) {
  const xml::node* c = n.child(name);
  if (!c) return absent;
  return c->trimmed_text() == "1";
}

// A DNS name as OPNsense's masks take it (letters, digits, '-', '_', dots), at most 253 bytes,
// labels 1..63 bytes; a trailing dot is allowed.
bool dns_name_ok(std::string_view s) {
  if (s.empty() || s.size() > 254) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

bool at_or_below(std::string_view name, std::string_view zone) {
  if (zone.empty()) return false;
  if (name == zone || zone == ".") return true;
  return name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

// The owner of an override: hostname.domain, the domain alone for an empty hostname or "*".
std::string owner_of(const std::string& hostname, const std::string& domain) {
  if (hostname.empty() || hostname == "*") return canonical_name(domain);
  return canonical_name(hostname + "." + domain);
}

// Reads the record fields of a <host> into h; false with an error in diags when it cannot be used.
bool read_record(const xml::node& host, const std::string& file, unbound_host& h, diagnostics& diags) {
  h.rr = ascii_lower(trim(host.child_text("rr")));
  for (auto& c : h.rr) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (h.rr.empty()) h.rr = "A";  // before record types: every override was an address
  const source_location where = host.where(file);
  if (h.rr == "A" || h.rr == "AAAA") {
    std::string server = trim(host.child_text("server"));
    auto a = ip_address::parse(server);
    if (!a || a->v6 != (h.rr == "AAAA")) {
      diags.error(where, fmt::format("unboundplus host override: <server> is not an {} address", h.rr == "A" ? "IPv4" : "IPv6"),
                  server);
      return false;
    }
    h.address = *a;
    return true;
  }
  if (h.rr == "MX") {
    std::string prio = trim(host.child_text("mxprio"));
    std::string mx = trim(host.child_text("mx"));
    unsigned p = 0;
    bool prio_ok = !prio.empty() && prio.size() <= 5 &&
                   std::all_of(prio.begin(), prio.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (prio_ok) p = static_cast<unsigned>(std::stoul(prio));
    if (!prio_ok || p > 65535) {
      diags.error(where, "unboundplus host override: <mxprio> is not a number from 0 to 65535", prio);
      return false;
    }
    if (!dns_name_ok(mx)) {
      diags.error(where, "unboundplus host override: <mx> is not a host name", mx);
      return false;
    }
    h.mx_priority = p;
    h.mx = canonical_name(mx);
    return true;
  }
  diags.error(where, "unboundplus host override: <rr> is not A, AAAA or MX", h.rr);
  return false;
}

bool names_ok(const unbound_host& h, const source_location& where, diagnostics& diags) {
  if (!h.hostname.empty() && h.hostname != "*" && !dns_name_ok(h.hostname)) {
    diags.error(where, "unboundplus override: <hostname> is not a host name", h.hostname);
    return false;
  }
  if (!dns_name_ok(h.domain)) {
    diags.error(where, "unboundplus override: <domain> is not a domain name", h.domain);
    return false;
  }
  if (h.hostname.size() + h.domain.size() + 1 > 254) {
    diags.error(where, "unboundplus override: hostname.domain is longer than 253 bytes", h.hostname);
    return false;
  }
  return true;
}

std::string rdata_of(const unbound_host& h) {
  if (h.rr == "MX") return fmt::format("{} {}", h.mx_priority, h.mx);
  return h.address ? h.address->str() : std::string();
}

std::uint16_t type_of(const unbound_host& h) {
  if (h.rr == "AAAA") return rr_type::aaaa;
  if (h.rr == "MX") return rr_type::mx;
  return rr_type::a;
}

// The address families (bit 1: A, bit 2: AAAA) the enabled overrides give each owner.
std::map<std::string, unsigned> families_of(const unbound_overrides& u) {
  std::map<std::string, unsigned> out;
  for (const auto& h : u.hosts)
    if (h.enabled) out[h.owner] |= h.rr == "A" ? 1u : h.rr == "AAAA" ? 2u : 0u;
  return out;
}

// The enabled overrides by zone origin: the owner, or the domain of a "*" override. An owner in a
// typetransparent local-zone without both an A and an AAAA override is left out: Unbound resolves
// the types it lacks upstream, so no zone data can say what the resolver answers for them (the
// name is then compared as in one-shot mode, resolver against the public side).
std::map<std::string, std::vector<const unbound_host*>> by_zone(const unbound_overrides& u) {
  std::map<std::string, std::vector<const unbound_host*>> out;
  const auto families = families_of(u);
  for (const auto& h : u.hosts) {
    if (!h.enabled) continue;
    auto f = families.find(h.owner);
    if (local_zone_type_for(u, h) == "typetransparent" && (f == families.end() || f->second != 3)) continue;
    out[h.owner].push_back(&h);
  }
  return out;
}

}  // namespace

std::vector<ip_prefix> opnsense_default_private_addresses() {
  std::vector<ip_prefix> out;
  for (const char* p : {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.2.0/24",
                        "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "233.252.0.0/24",
                        "::1/128", "2001:db8::/32", "fc00::/8", "fd00::/8", "fe80::/10"})
    out.push_back(*ip_prefix::parse(p));
  return out;
}

bool is_opnsense_config(std::string_view text) { return ascii_lower(std::string(xml::root_name(text))) == "opnsense"; }

unbound_overrides read_unbound(const xml::node& root, const std::string& file, diagnostics& diags) {
  unbound_overrides u;
  u.file = file;
  if (const xml::node* sys = root.child("system")) {
    std::string d = trim(sys->child_text("domain"));
    if (!d.empty() && dns_name_ok(d)) u.system_domain = canonical_name(d);
    if (const xml::node* web = sys->child("webgui"); web && web->has("nodnsrebindcheck")) u.rebind_check = false;
  }
  // The legacy <unbound> section's Local Zone Type (read by the templates before the MVC model's).
  if (const xml::node* legacy = root.child("unbound")) {
    std::string t = ascii_lower(trim(legacy->child_text("local_zone_type")));
    if (!t.empty()) u.local_zone_type = t;
  }
  const xml::node* ub = root.find("OPNsense/unboundplus");
  u.private_addresses = opnsense_default_private_addresses();
  if (!ub) return u;
  if (const xml::node* g = ub->child("general")) {
    u.enabled = flag(*g, "enabled", true);
    std::string t = ascii_lower(trim(g->child_text("local_zone_type")));
    if (!t.empty()) u.local_zone_type = t;
  }
  if (const xml::node* adv = ub->child("advanced")) {
    if (const xml::node* pa = adv->child("privateaddress")) {
      u.private_addresses.clear();
      std::string list(pa->trimmed_text());
      std::size_t at = 0;
      while (at <= list.size() && u.private_addresses.size() < 4096) {
        auto comma = list.find(',', at);
        std::string item = trim(std::string_view(list).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (!item.empty()) {
          if (auto p = ip_prefix::parse(item)) u.private_addresses.push_back(*p);
          else diags.warning(pa->where(file), "unboundplus advanced: <privateaddress> holds an item that is not a network", item);
        }
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    }
    std::string pd(adv->child_text("privatedomain"));
    std::size_t at = 0;
    while (!pd.empty() && at <= pd.size() && u.private_domains.size() < 4096) {
      auto comma = pd.find(',', at);
      std::string item = trim(std::string_view(pd).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (!item.empty() && dns_name_ok(item)) u.private_domains.push_back(canonical_name(item));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  // Host overrides, then their aliases (which take the host's record).
  std::map<std::string, std::size_t> by_uuid;
  if (const xml::node* hosts = ub->child("hosts")) {
    for (const xml::node* host : hosts->children("host")) {
      if (u.hosts.size() >= max_overrides) {
        diags.error(host->where(file), fmt::format("unboundplus: more than {} host overrides and aliases", max_overrides));
        break;
      }
      unbound_host h;
      h.enabled = flag(*host, "enabled", true);
      h.hostname = trim(host->child_text("hostname"));
      h.domain = trim(host->child_text("domain"));
      h.description = trim(host->child_text("description"));
      h.where = host->where(file);
      if (!names_ok(h, h.where, diags) || !read_record(*host, file, h, diags)) continue;
      h.owner = owner_of(h.hostname, h.domain);
      if (auto id = host->attribute("uuid")) by_uuid.emplace(std::string(*id), u.hosts.size());
      u.hosts.push_back(std::move(h));
    }
  }
  if (const xml::node* aliases = ub->child("aliases")) {
    for (const xml::node* al : aliases->children("alias")) {
      if (u.hosts.size() >= max_overrides) {
        diags.error(al->where(file), fmt::format("unboundplus: more than {} host overrides and aliases", max_overrides));
        break;
      }
      std::string host_id = trim(al->child_text("host"));
      auto it = by_uuid.find(host_id);
      if (it == by_uuid.end()) {
        diags.warning(al->where(file), "unboundplus alias: <host> names no host override of this file; skipped", host_id);
        continue;
      }
      unbound_host h = u.hosts[it->second];  // the record of the host it points at
      h.alias = true;
      h.enabled = h.enabled && flag(*al, "enabled", true);
      std::string hn = trim(al->child_text("hostname"));
      std::string dn = trim(al->child_text("domain"));
      if (!hn.empty()) h.hostname = hn;
      if (!dn.empty()) h.domain = dn;
      h.where = al->where(file);
      if (!names_ok(h, h.where, diags)) continue;
      h.owner = owner_of(h.hostname, h.domain);
      u.hosts.push_back(std::move(h));
    }
  }
  // Forwarded domains: the legacy domain overrides and the newer query forwarding of type forward.
  if (const xml::node* domains = ub->child("domains")) {
    for (const xml::node* d : domains->children("domain")) {
      if (!flag(*d, "enabled", true) || u.forwards.size() >= max_overrides) continue;
      std::string name = trim(d->child_text("domain"));
      if (!dns_name_ok(name)) continue;
      u.forwards.push_back({canonical_name(name), trim(d->child_text("server")), true, d->where(file)});
    }
  }
  if (const xml::node* dots = ub->child("dots")) {
    for (const xml::node* d : dots->children("dot")) {
      if (!flag(*d, "enabled", true) || trim(d->child_text("type")) != "forward" || u.forwards.size() >= max_overrides)
        continue;
      std::string name = trim(d->child_text("domain"));
      if (!dns_name_ok(name)) continue;  // empty: every name (".")
      u.forwards.push_back({canonical_name(name), trim(d->child_text("server")), false, d->where(file)});
    }
  }
  return u;
}

unbound_overrides read_unbound_file(const std::string& path, diagnostics& diags) {
  std::string error;
  auto text = read_regular_file(path, input_limits::current().max_file_bytes, error);
  if (!text) throw input_error(fmt::format("cannot read {}: {}", escape_text(path, 512), error));
  if (!is_opnsense_config(*text))
    throw input_error(fmt::format("{}: not an OPNsense config.xml (its root element is not <opnsense>)", escape_text(path, 512)));
  auto root = xml::parse(*text, path, diags);
  if (!root) throw input_error(fmt::format("{}: not readable as XML (see the error at its position)", escape_text(path, 512)));
  return read_unbound(*root, path, diags);
}

std::vector<std::string> override_names(const unbound_overrides& u) {
  std::set<std::string> names;
  for (const auto& h : u.hosts)
    if (h.enabled) names.insert(h.owner);
  return {names.begin(), names.end()};
}

std::string local_zone_type_for(const unbound_overrides& u, const unbound_host& h) {
  if (h.hostname == "*") return "redirect";
  if (at_or_below(h.owner, u.system_domain)) return u.local_zone_type;
  return "transparent";
}

bind::config synthetic_config(const unbound_overrides& u) {
  bind::config cfg;
  cfg.file = u.file;
  cfg.files_read.push_back(u.file);
  bind::view_decl in;
  in.name = unbound_view;
  in.where = {u.file, 0, 0};
  // Where OPNsense's LAN clients are: the private, shared, benchmark, link-local and loopback networks.
  for (const char* p : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.18.0.0/15",
                        "169.254.0.0/16", "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128"}) {
    bind::address_match_element e;
    e.prefix = *ip_prefix::parse(p);
    e.text = p;
    e.where = in.where;
    in.match_clients.elements.push_back(std::move(e));
  }
  for (const auto& [origin, hosts] : by_zone(u)) {
    bind::zone_decl z;
    z.name = origin == "." ? origin : origin.substr(0, origin.size() - 1);
    z.type = "primary";
    z.where = hosts.front()->where;
    in.zones.push_back(std::move(z));
  }
  bind::address_match_element any;
  any.what = bind::address_match_element::kind::any;
  any.text = "any";
  in.match_destinations.elements.push_back(any);  // BIND's default
  bind::view_decl out;
  out.name = public_view;
  out.match_destinations.elements.push_back(any);
  out.where = in.where;
  out.match_clients.elements.push_back(std::move(any));
  cfg.options.directory = ".";
  cfg.views.push_back(std::move(in));
  cfg.views.push_back(std::move(out));
  return cfg;
}

zone_set synthetic_zones(const unbound_overrides& u) {
  zone_set zs;
  for (const auto& [origin, hosts] : by_zone(u)) {
    zone_builder b(origin, hosts.size() * 2);
    for (const auto* h : hosts) {
      std::string rdata = rdata_of(*h);
      b.add(origin, type_of(*h), 3600, rdata);
      if (h->hostname == "*") b.add("*." + origin, type_of(*h), 3600, rdata);  // redirect: every name below
    }
    loaded_zone lz;
    lz.view = unbound_view;
    lz.decl.name = origin == "." ? origin : origin.substr(0, origin.size() - 1);
    lz.decl.type = "primary";
    lz.decl.where = hosts.front()->where;
    lz.data = b.finish();
    zs.add(std::move(lz));
  }
  return zs;
}

std::vector<finding> unbound_findings(const unbound_overrides& u, std::vector<std::string>& notes) {
  std::vector<finding> out;
  const std::string& file = u.file;
  if (!u.enabled)
    notes.push_back(fmt::format("{}: Unbound DNS is disabled (<unboundplus><general><enabled>): its overrides are "
                                "compared all the same; enable it in Services > Unbound DNS > General if it is the "
                                "LAN's resolver",
                                file));
  std::size_t enabled = 0;
  for (const auto& h : u.hosts) enabled += h.enabled ? 1 : 0;
  notes.push_back(fmt::format("internal view 'unbound' from the host overrides of {} ({} enabled of {}); the public "
                              "side comes from the public delegation",
                              file, enabled, u.hosts.size()));
  std::set<std::string> partial;
  const auto owner_families = families_of(u);
  for (const auto& h : u.hosts)
    if (h.enabled && local_zone_type_for(u, h) == "typetransparent" && owner_families.at(h.owner) != 3)
      partial.insert(h.owner);
  if (!partial.empty())
    notes.push_back(fmt::format(
        "{} override name{} in the typetransparent local-zone {} lack an A or an AAAA override ({}{}): Unbound "
        "resolves the missing types upstream, so they are not in view 'unbound'; a live run compares them as in one-shot "
        "mode (the resolver against the public side)",
        partial.size(), partial.size() == 1 ? "" : "s", display_name(u.system_domain), display_name(*partial.begin()),
        partial.size() > 1 ? ", ..." : ""));
  // An address override of one family only, in a typetransparent local-zone: the other family is
  // resolved upstream, so inside clients get the public AAAA (A) next to the internal A (AAAA).
  std::map<std::string, std::pair<const unbound_host*, unsigned>> families;  // owner -> (first host, bits: 1 A, 2 AAAA)
  for (const auto& h : u.hosts) {
    if (!h.enabled || (h.rr != "A" && h.rr != "AAAA")) continue;
    auto& e = families[h.owner];
    if (!e.first) e.first = &h;
    e.second |= h.rr == "A" ? 1u : 2u;
  }
  for (const auto& [owner, e] : families) {
    if (e.second == 3) continue;
    const unbound_host& h = *e.first;
    if (local_zone_type_for(u, h) != "typetransparent") continue;
    const bool has_a = e.second == 1;
    finding f;
    f.kind = finding_kind::leak;
    f.sev = severity::warning;
    f.name = display_name(owner);
    f.zone = display_name(u.system_domain);
    f.view = unbound_view;
    f.type = has_a ? "AAAA" : "A";
    f.evidence = fmt::format(
        "{}: host override {} {} {} at {} has no {} override, and its local-zone {} is typetransparent: {} questions "
        "are resolved upstream, so inside clients get the public {} (if the name has one) and connect {} past the "
        "override",
        file, display_name(owner), h.rr, h.address ? h.address->str() : std::string(), h.where.str(), f.type,
        display_name(u.system_domain), f.type, f.type, has_a ? "over IPv6" : "over IPv4");
    f.fix = fmt::format(
        "in Services > Unbound DNS > Overrides add a {0} override for {1} with its internal {2} address, or set "
        "Services > Unbound DNS > General > Local Zone Type to transparent (config.xml "
        "<unboundplus><general><local_zone_type>), which answers the other type with no data",
        f.type, display_name(owner), has_a ? "IPv6" : "IPv4");
    out.push_back(std::move(f));
  }
  // DNS rebind protection: private-address strips private addresses from the answers of upstream and
  // forward servers, never from local-data (the host overrides), and not below a private-domain.
  if (u.rebind_check && !u.private_addresses.empty()) {
    std::size_t said = 0;
    for (const auto& fw : u.forwards) {
      bool exempt = fw.legacy || std::any_of(u.private_domains.begin(), u.private_domains.end(),
                                             [&](const std::string& d) { return at_or_below(fw.domain, d); });
      if (exempt || ++said > 10) continue;
      notes.push_back(fmt::format(
          "{}: names under {} are forwarded to {} ({}); with DNS rebind protection on, the private addresses in its "
          "answers are removed (private-address), so inside clients get no address for them: add {} to Services > "
          "Unbound DNS > Advanced > Private Domains (<unboundplus><advanced><privatedomain>) if that server answers "
          "with internal addresses",
          file, display_name(fw.domain), escape_text(fw.server, 64), fw.where.str(), display_name(fw.domain)));
    }
  }
  return out;
}

}  // namespace hc::zone
