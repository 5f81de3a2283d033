#include "check/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/services.hpp"
#include "core/dns_text.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_a = 1, type_ns = 2, type_soa = 6, type_mx = 15, type_aaaa = 28;

bool family_wanted(const run_options& o, const ip_address& a) { return a.v6 ? o.ipv6 : o.ipv4; }

// Names that zone apexes of a view delegate their service to: NS and MX targets.
struct roles {
  std::set<std::string> ns_targets;
  std::set<std::string> mx_targets;
};

void collect_roles(const zone::zone_set& zones, const std::string& view, roles& r) {
  for (const auto* lz : zones.zones_of(view)) {
    if (!lz->data) continue;
    const auto& z = *lz->data;
    for (const auto& ns : z.lookup(z.origin(), type_ns)) r.ns_targets.insert(canonical_name(ns));
    for (std::size_t i = 0; i < z.name_count(); ++i) {
      for (const auto& rec : z.records_at(i)) {
        if (rec.type != type_mx) continue;
        auto sp = rec.rdata.find(' ');
        if (sp != std::string_view::npos) r.mx_targets.insert(canonical_name(rec.rdata.substr(sp + 1)));
      }
    }
  }
}

std::string gate_key(const ip_endpoint& e, const std::string& transport, const std::string& zone) {
  return fmt::format("{}/{}/{}", e.str(), transport, zone);
}

// The name whose answers differ most plainly between the views: intra-only first, then split A data.
// Read straight from the two zones (one pass over the internal one), not through answer_from_zone.
std::optional<std::string> discriminator(const zone::zone_data& zi, const zone::zone_data& ze) {
  std::optional<std::string> split;
  for (std::size_t i = 0; i < zi.name_count(); ++i) {
    std::string_view n = zi.name_at(i);
    if (n.find('*') != std::string_view::npos) continue;
    auto a_in = zi.lookup(n, type_a);
    if (a_in.empty() || zi.below_cut(n)) continue;
    if (!ze.has_name(n) && !ze.wildcard_for(n)) return std::string(n);
    if (!split && !ze.find_cname(n) && ze.lookup(n, type_a) != a_in) split = std::string(n);
  }
  return split;
}

}  // namespace

void plan::append(plan&& o) {
  for (auto& d : o.dns) dns.push_back(std::move(d));
  for (auto& s : o.services) services.push_back(std::move(s));
  for (auto& f : o.nat_flows) nat_flows.push_back(std::move(f));
  for (auto& n : o.notes) notes.push_back(std::move(n));
  for (auto& f : o.findings) findings.push_back(std::move(f));
}

zone_answer answer_from_zone(const zone::zone_set& zones, const std::string& view, const std::string& qname,
                             std::uint16_t qtype) {
  zone_answer out;
  std::string name = canonical_name(qname);
  const zone::zone_data* z = zones.best_zone(view, name);
  if (!z) return out;
  out.known = true;
  const std::string type_text = rr_type_name(qtype);
  for (int hops = 0; hops < 8; ++hops) {
    auto direct = z->lookup(name, qtype);
    if (!direct.empty()) {
      for (const auto& rd : direct) out.records.push_back(name + " " + type_text + " " + rd);
      return out;
    }
    if (auto target = z->find_cname(name); target && qtype != 5) {
      out.records.push_back(name + " CNAME " + *target);
      name = *target;
      if (!z->contains(name)) return out;  // out of zone: the server stops at the CNAME
      continue;
    }
    if (z->has_name(name)) return out;  // NODATA
    if (auto wild = z->wildcard_for(name)) {
      for (const auto& rd : z->lookup(*wild, qtype)) out.records.push_back(name + " " + type_text + " " + rd);
      if (out.records.empty()) {
        if (auto target = z->find_cname(*wild)) out.records.push_back(name + " CNAME " + *target);
      }
      return out;
    }
    if (out.records.empty()) out.rcode = 3;
    return out;
  }
  return out;
}

std::vector<ip_address> addresses_of(const zone::zone_set& zones, const std::string& view,
                                     const std::string& qname) {
  std::vector<ip_address> out;
  for (std::uint16_t t : {type_a, type_aaaa}) {
    for (const auto& rec : answer_from_zone(zones, view, qname, t).records) {
      auto last = rec.rfind(' ');
      auto type_at = rec.find(' ');
      if (last == std::string::npos || type_at == std::string::npos) continue;
      std::string type = rec.substr(type_at + 1, rec.find(' ', type_at + 1) - type_at - 1);
      if (type != "A" && type != "AAAA") continue;
      if (auto a = ip_address::parse(rec.substr(last + 1))) out.push_back(*a);
    }
  }
  return out;
}

std::vector<std::string> all_names(const zone::zone_set& zones, const bind::view_decl& internal,
                                   const bind::view_decl& external) {
  std::vector<std::string> names;
  for (const auto* view : {&internal, &external}) {
    for (const auto* lz : zones.zones_of(view->name)) {
      if (!lz->data) continue;
      const auto& z = *lz->data;
      names.reserve(names.size() + z.name_count());
      for (std::size_t i = 0; i < z.name_count(); ++i) {
        std::string_view n = z.name_at(i);
        if (n.find('*') != std::string_view::npos || z.below_cut(n)) continue;
        names.emplace_back(n);
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

plan make_plan(const plan_inputs& in) {
  plan p;
  const run_options& o = *in.options;
  if (!in.zones || !in.internal || !in.external) return p;
  const zone::zone_set& zones = *in.zones;
  const std::string& iv = in.internal->name;
  const std::string& ev = in.external->name;

  bool want_dns = o.services.empty() ||
                  std::any_of(o.services.begin(), o.services.end(), [](auto& s) { return s.rfind("dns", 0) == 0; });
  auto want_transport = [&](const std::string& t) {
    return o.services.empty() || std::find(o.services.begin(), o.services.end(), "dns/" + t) != o.services.end();
  };
  std::optional<ip_prefix> lan = in.lan.empty() ? std::nullopt : std::optional<ip_prefix>(in.lan.front());

  roles r;
  collect_roles(zones, iv, r);
  collect_roles(zones, ev, r);

  std::set<ip_address> mx_addresses;  // where the mail servers are, for names without NAT rules
  for (const auto& mx : r.mx_targets)
    for (const auto& a : addresses_of(zones, ev, mx)) mx_addresses.insert(a);

  std::set<std::string> gates_done;      // SOA gates and discriminators, once per server/transport/zone
  std::set<std::string> direct_done;     // direct SOA probes, once per server/zone
  std::set<std::string> flows_done;      // NAT flows, once per (address, protocol, port)
  std::set<std::string> checked(in.names.begin(), in.names.end());
  std::set<std::string> missing_zone_noted;
  std::map<const zone::zone_data*, std::optional<std::string>> discriminators;

  auto add_flow = [&](const ip_address& pub, int proto, std::uint16_t port, const std::string& name,
                      std::optional<ip_address> internal_addr) {
    std::string key = fmt::format("{}/{}/{}", pub.str(), proto, port);
    if (!flows_done.insert(key).second) return;
    nat_flow_plan f;
    f.service.public_address = pub;
    f.service.protocol = proto;
    f.service.port = port;
    f.service.name = display_name(name);
    f.service.internal_address = internal_addr;
    f.service_name = nat::service_name(proto, port);
    p.nat_flows.push_back(std::move(f));
  };

  // Every DNAT'd service of the rules, read once.
  const std::vector<nat::published_service> published = in.nat ? nat::published(*in.nat) : std::vector<nat::published_service>{};

  auto dnat_of = [&](const ip_address& pub, int proto, std::uint16_t port) -> std::optional<std::pair<ip_address, std::uint16_t>> {
    if (!in.nat) return std::nullopt;
    // A DNAT bound to an inbound interface is not the LAN's way in: prefer one that is not.
    const nat::published_service* found = nullptr;
    for (const auto& s : published) {
      if (s.public_address != pub) continue;
      if (s.protocol != 0 && s.protocol != proto) continue;
      if (s.port != 0 && (port < s.port || port > std::max(s.port, s.port_last))) continue;
      if (s.iif.empty() || s.iif[0] == '!') {
        found = &s;
        break;
      }
      if (!found) found = &s;  // interface-bound: taken only when no other DNAT matches
    }
    if (found) {
      std::uint16_t iport = found->internal_port ? found->internal_port : port;  // --to-destination ADDR:PORT takes every port of a range
      return std::make_pair(found->internal_address, iport);
    }
    return std::nullopt;
  };

  // The DNS servers on the public side of a zone: --external-dns, else the external view's NS glue,
  // each with its NS name (for NAT findings).
  auto external_servers = [&](const zone::zone_data& ze) {
    std::pair<std::vector<ip_endpoint>, std::map<ip_address, std::string>> out{o.external_dns, {}};
    auto& [servers, names] = out;
    if (servers.empty()) {
      for (const auto& ns : ze.lookup(ze.origin(), type_ns))
        for (const auto& a : addresses_of(zones, ev, ns)) {
          servers.push_back({a, 53});
          names.emplace(a, display_name(canonical_name(ns)));
        }
      std::sort(servers.begin(), servers.end());
      servers.erase(std::unique(servers.begin(), servers.end()), servers.end());
    }
    return out;
  };

  auto dns_probe = [&](const std::string& qname, std::uint16_t qtype, const std::string& transport,
                       const std::string& path, const ip_endpoint& target, bool rd) {
    dns_probe_plan d;
    d.request.name = display_name(canonical_name(qname));
    d.request.service = "dns/" + transport;
    d.request.path = path;
    d.request.target = target;
    d.request.qname = canonical_name(qname);
    d.request.qtype = qtype;
    d.request.recursion_desired = rd;
    return d;
  };

  auto expectation = [&](const zone::zone_data& z, const std::string& view, const std::string& other,
                         const std::string& qname, std::uint16_t qtype, bool with_other) {
    dns_expectation e;
    e.zone = z.origin();
    e.view = view;
    e.qtype = qtype;
    auto a = answer_from_zone(zones, view, qname, qtype);
    e.expected_answer = in_zone_records(a.records, z.origin());
    e.expected_rcode = a.rcode;
    if (with_other) {
      auto b = answer_from_zone(zones, other, qname, qtype);
      if (b.known) {
        const zone::zone_data* zo = zones.best_zone(other, qname);
        e.other_view_answer = in_zone_records(b.records, zo ? zo->origin() : z.origin());
        e.other_view_rcode = b.rcode;
        e.other_view = other;
      }
    }
    e.lan_prefix = lan;
    return e;
  };

  for (const auto& name : in.names) {
    const zone::zone_data* zi = zones.best_zone(iv, name);
    const zone::zone_data* ze = zones.best_zone(ev, name);
    if (!zi && !ze) {
      p.notes.push_back(fmt::format("{}: no zone of views {} or {} holds it; nothing to compare it with", name, iv, ev));
      continue;
    }

    // The addresses each view publishes for the name, and so which address types to ask.
    auto external_addrs = addresses_of(zones, ev, name);
    const auto internal_addrs = addresses_of(zones, iv, name);
    std::vector<std::uint16_t> qtypes;
    if (o.ipv4) qtypes.push_back(type_a);
    if (o.ipv6) {
      bool has_aaaa = false;  // a CNAME answers every type: look for the addresses themselves
      for (const auto& a : internal_addrs) has_aaaa |= a.v6;
      for (const auto& a : external_addrs) has_aaaa |= a.v6;
      if (has_aaaa) qtypes.push_back(type_aaaa);
    }
    if (qtypes.empty()) qtypes.push_back(type_a);

    if (want_dns && in.flows_only && ze) {
      // --static: the flows of the DNS servers through the router, nothing to send.
      auto [servers, server_name] = external_servers(*ze);
      for (const auto& server : servers) {
        if (!family_wanted(o, server.address)) continue;
        auto dnat = dnat_of(server.address, nat::proto_udp, server.port);
        auto sn = server_name.find(server.address);
        for (int proto : {nat::proto_udp, nat::proto_tcp})
          add_flow(server.address, proto, server.port, sn != server_name.end() ? sn->second : name,
                   dnat ? std::optional(dnat->first) : std::nullopt);
      }
    } else if (want_dns) {
      // The internal resolver answers from the internal view.
      if (in.resolver && zi && want_transport("udp")) {
        for (auto qt : qtypes) {
          auto d = dns_probe(name, qt, "udp", "resolver", *in.resolver, true);
          d.expect = expectation(*zi, iv, ev, name, qt, false);
          p.dns.push_back(std::move(d));
        }
      }
      // The DNS server on the public address, through the hairpin, answers from the external view.
      if (ze) {
        auto [servers, server_name] = external_servers(*ze);
        if (servers.empty() && missing_zone_noted.insert("ns:" + ze->origin()).second)
          p.notes.push_back(fmt::format(
              "{}: the {} view publishes no address for the zone's name servers; use --external-dns", ze->origin(), ev));
        for (const auto& server : servers) {
          if (!family_wanted(o, server.address)) continue;
          auto dnat = dnat_of(server.address, nat::proto_udp, server.port);
          for (const std::string transport : {"udp", "tcp"}) {
            if (!want_transport(transport)) continue;
            std::string gk = gate_key(server, transport, ze->origin());
            int proto = transport == "udp" ? nat::proto_udp : nat::proto_tcp;
            auto sn = server_name.find(server.address);
            add_flow(server.address, proto, server.port, sn != server_name.end() ? sn->second : name,
                     dnat ? std::optional(dnat->first) : std::nullopt);
            if (gates_done.insert(gk).second) {
              auto soa = dns_probe(ze->origin(), type_soa, transport, "hairpin", server, false);
              soa.expect = expectation(*ze, ev, iv, ze->origin(), type_soa, false);
              soa.expect.file_serial = ze->serial();
              if (dnat) soa.expect.internal_address = dnat->first;
              soa.soa_gate = true;
              soa.gate_key = gk;
              p.dns.push_back(std::move(soa));
              // A name the views answer differently tells which view answered (found once per zone pair).
              if (zi) {
                auto cached = discriminators.find(zi);
                if (cached == discriminators.end()) cached = discriminators.emplace(zi, discriminator(*zi, *ze)).first;
                if (const auto& disc = cached->second; disc && !checked.count(*disc)) {
                  auto d = dns_probe(*disc, type_a, transport, "hairpin", server, false);
                  d.expect = expectation(*ze, ev, iv, *disc, type_a, true);
                  if (dnat) d.expect.internal_address = dnat->first;
                  d.gate_key = gk;
                  p.dns.push_back(std::move(d));
                }
              }
            }
            for (auto qt : qtypes) {
              auto d = dns_probe(name, qt, transport, "hairpin", server, false);
              d.expect = expectation(*ze, ev, iv, name, qt, true);
              if (dnat) d.expect.internal_address = dnat->first;
              d.gate_key = gk;
              p.dns.push_back(std::move(d));
            }
          }
        }
      }
      // The internal name servers, asked directly, serve the internal view's serial.
      if (zi && want_transport("udp")) {
        for (const auto& ns : zi->lookup(zi->origin(), type_ns)) {
          for (const auto& a : addresses_of(zones, iv, ns)) {
            if (!family_wanted(o, a)) continue;
            if (!direct_done.insert(a.str() + "/" + zi->origin()).second) continue;
            bool is_resolver = in.resolver && in.resolver->address == a && in.resolver->port == 53;
            auto soa = dns_probe(zi->origin(), type_soa, "udp", is_resolver ? "resolver" : "direct", {a, 53}, false);
            soa.expect = expectation(*zi, iv, ev, zi->origin(), type_soa, false);
            soa.expect.file_serial = zi->serial();
            p.dns.push_back(std::move(soa));
          }
        }
      }
    }

    // Services: what the name is for decides which ports to try.
    if (r.ns_targets.count(name) && o.services.empty()) continue;  // a name server: DNS only
    bool mail_role = r.mx_targets.count(name) > 0;
    std::erase_if(external_addrs, [&](const ip_address& a) { return !family_wanted(o, a); });
    bool on_mail_address = false;  // without NAT rules: a name on the address of a mail server
    if (!mail_role && !in.nat)
      for (const auto& a : external_addrs) on_mail_address |= mx_addresses.count(a) > 0;

    for (const auto& ext : external_addrs) {
      std::vector<std::string> services;
      if (!o.services.empty()) {
        for (const auto& s : o.services)
          if (s.rfind("dns", 0) != 0) services.push_back(s);
      } else if (in.nat) {
        // Every port the router forwards on that address, by what the name is for: an MX target
        // gets the mail ports, another name the rest (DNS aside), or else the mailbox ports.
        std::set<std::uint16_t> mail_ports, mailbox_ports, other_ports;
        for (const auto& s : published) {
          if (s.public_address != ext || (s.protocol != nat::proto_tcp && s.protocol != 0) || s.port == 0) continue;
          for (unsigned port = s.port; port <= std::max(s.port, s.port_last) && port - s.port < 16; ++port) {
            auto p16 = static_cast<std::uint16_t>(port);
            if (p16 == 53) continue;
            if (!is_mail_port(p16)) other_ports.insert(p16);
            else {
              mail_ports.insert(p16);
              if (is_mailbox_port(p16)) mailbox_ports.insert(p16);
            }
          }
        }
        const auto& chosen = mail_role ? mail_ports : (!other_ports.empty() ? other_ports : mailbox_ports);
        for (auto port : chosen) services.push_back(service_for_tcp_port(port));
      } else if (mail_role) {
        services = {"smtp", "imaps"};
      } else if (on_mail_address) {
        services = {"imaps"};
      } else {
        services = {"https"};
      }

      for (const auto& service : services) {
        auto svc = service_by_name(service);
        if (!svc) continue;
        std::uint16_t port = svc->port;
        std::string key = fmt::format("{}|{}|{}", name, service, ext.str());
        service_probe_plan h;
        h.request.name = display_name(name);
        h.request.service = service;
        h.request.path = "hairpin";
        h.request.target = {ext, port};
        h.pair_key = key;
        p.services.push_back(h);

        // The direct path: the internal view's own address for the name, else where the router DNATs to.
        std::optional<ip_endpoint> direct;
        for (const auto& a : internal_addrs)
          if (a != ext && a.v6 == ext.v6) {
            direct = ip_endpoint{a, port};
            break;
          }
        auto dnat = dnat_of(ext, nat::proto_tcp, port);
        if (!direct && dnat) direct = ip_endpoint{dnat->first, dnat->second};
        add_flow(ext, nat::proto_tcp, port, name, direct ? std::optional(direct->address) : std::nullopt);
        if (direct) {
          service_probe_plan d = h;
          d.request.path = "direct";
          d.request.target = *direct;
          p.services.push_back(std::move(d));
        } else if (missing_zone_noted.insert("direct:" + key).second) {
          p.notes.push_back(fmt::format(
              "{} {}: no internal address known (the {} view publishes the public one and no NAT rules map it); "
              "direct path not checked",
              name, service, iv));
        }
      }
    }
  }
  return p;
}

}  // namespace hc::check
