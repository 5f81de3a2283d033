#include "check/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/execute.hpp"
#include "check/secondaries.hpp"
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

namespace {

// Typed de-duplication keys: each probe or flow is planned once per key.
struct flow_key {  // a NAT flow through the router
  ip_address address;
  int protocol;
  std::uint16_t port;
  auto operator<=>(const flow_key&) const = default;
};
struct gate_id {  // an SOA gate (and its discriminator): one per server, transport and zone
  ip_endpoint server;
  std::string transport;
  std::string zone;
  auto operator<=>(const gate_id&) const = default;
  std::string str() const { return fmt::format("{}/{}/{}", server.str(), transport, zone); }
};
struct direct_soa_key {  // an internal server asked directly: one per address and zone
  ip_address address;
  std::string zone;
  auto operator<=>(const direct_soa_key&) const = default;
};
struct service_key {  // a service on one public address of a name
  std::string name;
  std::string service;
  ip_address address;
  auto operator<=>(const service_key&) const = default;
  std::string str() const { return fmt::format("{}|{}|{}", name, service, address.str()); }
};

// The DNS servers on the public side of a zone, each with its NS name (for NAT findings).
struct external_servers {
  std::vector<ip_endpoint> servers;
  std::map<ip_address, std::string> names;
};

// Builds the plan of a run from the zone files, one method per concern, state in one object (in
// the manner of view_diff's differ).
class planner {
 public:
  explicit planner(const plan_inputs& in)
      : in_(in), o_(*in.options), zones_(*in.zones), iv_(in.internal->name), ev_(in.external->name),
        checked_(in.names.begin(), in.names.end()) {
    want_dns_ = o_.services.empty() || std::any_of(o_.services.begin(), o_.services.end(),
                                                   [](const std::string& s) { return s.rfind("dns", 0) == 0; });
    if (!in.lan.empty()) lan_ = in.lan.front();
    collect_roles(zones_, iv_, roles_);
    collect_roles(zones_, ev_, roles_);
    for (const auto& mx : roles_.mx_targets)
      for (const auto& a : addresses_of(zones_, ev_, mx)) mx_addresses_.insert(a);
    if (in.nat) published_ = nat::published(*in.nat);
    for (std::size_t i = 0; i < published_.size(); ++i) published_by_address_[published_[i].public_address].push_back(i);
  }

  plan run() {
    for (const auto& name : in_.names) plan_name(name);
    return std::move(p_);
  }

 private:
  void plan_name(const std::string& name) {
    const zone::zone_data* zi = zones_.best_zone(iv_, name);
    const zone::zone_data* ze = zones_.best_zone(ev_, name);
    if (!zi && !ze) {
      p_.notes.push_back(fmt::format("{}: no zone of views {} or {} holds it; nothing to compare it with", name, iv_, ev_));
      return;
    }
    auto external_addrs = addresses_of(zones_, ev_, name);
    const auto internal_addrs = addresses_of(zones_, iv_, name);
    if (want_dns_ && in_.flows_only && ze) {
      dns_flows(name, *ze);
    } else if (want_dns_) {
      const auto qtypes = qtypes_for(internal_addrs, external_addrs);
      if (zi) resolver_probes(name, *zi, qtypes);
      if (ze) hairpin_dns_probes(name, zi, *ze, qtypes);
      if (zi) direct_soa_probes(*zi);
    }
    if (roles_.ns_targets.count(name) && o_.services.empty()) return;  // a name server: DNS only
    std::erase_if(external_addrs, [&](const ip_address& a) { return !family_wanted(o_, a); });
    for (const auto& ext : external_addrs)
      for (const auto& service : services_for(name, ext, external_addrs)) service_pair(name, service, ext, internal_addrs);
  }

  // A and, when a view publishes an IPv6 address for the name, AAAA (a CNAME answers every type:
  // look at the addresses themselves).
  std::vector<std::uint16_t> qtypes_for(const std::vector<ip_address>& internal_addrs,
                                        const std::vector<ip_address>& external_addrs) const {
    std::vector<std::uint16_t> qtypes;
    if (o_.ipv4) qtypes.push_back(type_a);
    if (o_.ipv6) {
      auto v6 = [](const ip_address& a) { return a.v6; };
      if (std::any_of(internal_addrs.begin(), internal_addrs.end(), v6) ||
          std::any_of(external_addrs.begin(), external_addrs.end(), v6))
        qtypes.push_back(type_aaaa);
    }
    if (qtypes.empty()) qtypes.push_back(type_a);
    return qtypes;
  }

  bool want_transport(const std::string& t) const {
    return o_.services.empty() || std::find(o_.services.begin(), o_.services.end(), "dns/" + t) != o_.services.end();
  }

  // --static: the flows of the DNS servers through the router, nothing to send.
  void dns_flows(const std::string& name, const zone::zone_data& ze) {
    auto ext = external_servers_of(ze);
    for (const auto& server : ext.servers) {
      if (!family_wanted(o_, server.address)) continue;
      auto dnat = dnat_of(server.address, nat::proto_udp, server.port);
      auto sn = ext.names.find(server.address);
      for (int proto : {nat::proto_udp, nat::proto_tcp})
        if (want_transport(proto == nat::proto_udp ? "udp" : "tcp"))
          add_flow(server.address, proto, server.port, sn != ext.names.end() ? sn->second : name,
                   dnat ? std::optional(dnat->first) : std::nullopt);
    }
  }

  // The internal resolver answers from the internal view.
  void resolver_probes(const std::string& name, const zone::zone_data& zi, const std::vector<std::uint16_t>& qtypes) {
    if (!in_.resolver || !want_transport("udp")) return;
    for (auto qt : qtypes) {
      auto d = dns_probe(name, qt, "udp", "resolver", *in_.resolver, true);
      d.expect = expectation(zi, iv_, ev_, name, qt, false);
      sign(d, in_.internal_signing);
      p_.dns.push_back(std::move(d));
    }
  }

  // The DNS server on the public address, through the hairpin, answers from the external view:
  // one SOA gate per server, transport and zone, a discriminator that tells the views apart, then
  // the name's own questions.
  void hairpin_dns_probes(const std::string& name, const zone::zone_data* zi, const zone::zone_data& ze,
                          const std::vector<std::uint16_t>& qtypes) {
    auto ext = external_servers_of(ze);
    if (ext.servers.empty() && noted_.insert("ns:" + ze.origin()).second)
      p_.notes.push_back(fmt::format(
          "{}: the {} view publishes no address for the zone's name servers; use --external-dns", ze.origin(), ev_));
    for (const auto& server : ext.servers) {
      if (!family_wanted(o_, server.address)) continue;
      auto dnat = dnat_of(server.address, nat::proto_udp, server.port);
      std::optional<ip_address> internal = dnat ? std::optional(dnat->first) : std::nullopt;
      auto sn = ext.names.find(server.address);
      for (const std::string transport : {"udp", "tcp"}) {
        if (!want_transport(transport)) continue;
        add_flow(server.address, transport == "udp" ? nat::proto_udp : nat::proto_tcp, server.port,
                 sn != ext.names.end() ? sn->second : name, internal);
        gate_id gate{server, transport, ze.origin()};
        if (gates_.insert(gate).second) gate_probes(gate, zi, ze, internal);
        for (auto qt : qtypes) {
          auto d = dns_probe(name, qt, transport, "hairpin", server, false);
          d.expect = expectation(ze, ev_, iv_, name, qt, true);
          d.expect.internal_address = internal;
          d.gate_key = gate.str();
          sign(d, in_.external_signing);
          p_.dns.push_back(std::move(d));
        }
      }
    }
  }

  void gate_probes(const gate_id& gate, const zone::zone_data* zi, const zone::zone_data& ze,
                   const std::optional<ip_address>& internal) {
    auto soa = dns_probe(ze.origin(), type_soa, gate.transport, "hairpin", gate.server, false);
    soa.expect = expectation(ze, ev_, iv_, ze.origin(), type_soa, false);
    soa.expect.file_serial = ze.serial();
    soa.expect.internal_address = internal;
    soa.soa_gate = true;
    soa.gate_key = gate.str();
    sign(soa, in_.external_signing);
    p_.dns.push_back(std::move(soa));
    if (!zi) return;
    // A name the views answer differently tells which view answered (found once per zone pair).
    auto cached = discriminators_.find(zi);
    if (cached == discriminators_.end()) cached = discriminators_.emplace(zi, discriminator(*zi, ze)).first;
    const auto& disc = cached->second;
    if (!disc || checked_.count(*disc)) return;
    auto d = dns_probe(*disc, type_a, gate.transport, "hairpin", gate.server, false);
    d.expect = expectation(ze, ev_, iv_, *disc, type_a, true);
    d.expect.internal_address = internal;
    d.gate_key = gate.str();
    sign(d, in_.external_signing);
    p_.dns.push_back(std::move(d));
  }

  // The internal name servers, asked directly, serve the internal view's serial.
  void direct_soa_probes(const zone::zone_data& zi) {
    if (!want_transport("udp")) return;
    for (const auto& ns : zi.lookup(zi.origin(), type_ns)) {
      for (const auto& a : addresses_of(zones_, iv_, ns)) {
        if (!family_wanted(o_, a) || !direct_soa_.insert({a, zi.origin()}).second) continue;
        bool is_resolver = in_.resolver && in_.resolver->address == a && in_.resolver->port == 53;
        auto soa = dns_probe(zi.origin(), type_soa, "udp", is_resolver ? "resolver" : "direct", {a, 53}, false);
        soa.expect = expectation(zi, iv_, ev_, zi.origin(), type_soa, false);
        soa.expect.file_serial = zi.serial();
        sign(soa, in_.internal_signing);
        p_.dns.push_back(std::move(soa));
      }
    }
  }

  // What the name is for decides which services to try on one of its public addresses.
  std::vector<std::string> services_for(const std::string& name, const ip_address& ext,
                                        const std::vector<ip_address>& external_addrs) const {
    std::vector<std::string> services;
    if (!o_.services.empty()) {
      for (const auto& s : o_.services)
        if (s.rfind("dns", 0) != 0) services.push_back(s);
      return services;
    }
    const bool mail_role = roles_.mx_targets.count(name) > 0;
    if (in_.nat) return forwarded_services(ext, mail_role);
    if (mail_role) return {"smtp", "imaps"};
    // Without NAT rules: a name on the address of a mail server gets the mailbox service.
    for (const auto& a : external_addrs)
      if (mx_addresses_.count(a)) return {"imaps"};
    return {"https"};
  }

  // Every port the router forwards on that address, by what the name is for: an MX target gets
  // the mail ports, another name the rest (DNS aside), or else the mailbox ports.
  std::vector<std::string> forwarded_services(const ip_address& ext, bool mail_role) const {
    std::set<std::uint16_t> mail_ports, mailbox_ports, other_ports;
    auto on_address = published_by_address_.find(ext);
    if (on_address == published_by_address_.end()) return {};
    for (std::size_t i : on_address->second) {
      const auto& s = published_[i];
      if ((s.protocol != nat::proto_tcp && s.protocol != 0) || s.port == 0) continue;
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
    std::vector<std::string> services;
    for (auto port : chosen) services.push_back(service_for_tcp_port(port));
    return services;
  }

  // The hairpin probe of a service and its direct twin: the internal view's own address for the
  // name, else where the router DNATs to.
  void service_pair(const std::string& name, const std::string& service, const ip_address& ext,
                    const std::vector<ip_address>& internal_addrs) {
    auto svc = service_by_name(service);
    if (!svc) return;
    const service_key key{name, service, ext};
    service_probe_plan h;
    h.request.name = display_name(name);
    h.request.service = service;
    h.request.path = "hairpin";
    h.request.target = {ext, svc->port};
    h.pair_key = key.str();
    p_.services.push_back(h);

    std::optional<ip_endpoint> direct;
    for (const auto& a : internal_addrs)
      if (a != ext && a.v6 == ext.v6) {
        direct = ip_endpoint{a, svc->port};
        break;
      }
    auto dnat = dnat_of(ext, nat::proto_tcp, svc->port);
    if (!direct && dnat) direct = ip_endpoint{dnat->first, dnat->second};
    add_flow(ext, nat::proto_tcp, svc->port, name, direct ? std::optional(direct->address) : std::nullopt);
    if (direct) {
      service_probe_plan d = h;
      d.request.path = "direct";
      d.request.target = *direct;
      p_.services.push_back(std::move(d));
    } else if (noted_.insert("direct:" + key.str()).second) {
      p_.notes.push_back(fmt::format(
          "{} {}: no internal address known (the {} view publishes the public one and no NAT rules map it); "
          "direct path not checked",
          name, service, iv_));
    }
  }

  void add_flow(const ip_address& pub, int proto, std::uint16_t port, const std::string& name,
                std::optional<ip_address> internal_addr) {
    if (!flows_.insert({pub, proto, port}).second) return;
    nat_flow_plan f;
    f.service.public_address = pub;
    f.service.protocol = proto;
    f.service.port = port;
    f.service.name = display_name(name);
    f.service.internal_address = internal_addr;
    f.service_name = nat::service_name(proto, port);
    p_.nat_flows.push_back(std::move(f));
  }

  // Where the router DNATs a public address and port. A DNAT bound to an inbound interface is not
  // the LAN's way in: one that is not bound is preferred.
  std::optional<std::pair<ip_address, std::uint16_t>> dnat_of(const ip_address& pub, int proto,
                                                               std::uint16_t port) const {
    const nat::published_service* found = nullptr;
    auto on_address = published_by_address_.find(pub);
    if (on_address == published_by_address_.end()) return std::nullopt;
    for (std::size_t i : on_address->second) {
      const auto& s = published_[i];
      if (s.protocol != 0 && s.protocol != proto) continue;
      if (s.port != 0 && (port < s.port || port > std::max(s.port, s.port_last))) continue;
      if (s.iif.empty() || s.iif[0] == '!') {
        found = &s;
        break;
      }
      if (!found) found = &s;  // interface-bound: taken only when no other DNAT matches
    }
    if (!found) return std::nullopt;
    // --to-destination ADDR:PORT takes every port of a range
    return std::make_pair(found->internal_address, found->internal_port ? found->internal_port : port);
  }

  // --external-dns, else the external view's NS glue.
  external_servers external_servers_of(const zone::zone_data& ze) const {
    external_servers out{o_.external_dns, {}};
    if (!out.servers.empty()) return out;
    for (const auto& ns : ze.lookup(ze.origin(), type_ns))
      for (const auto& a : addresses_of(zones_, ev_, ns)) {
        out.servers.push_back({a, 53});
        out.names.emplace(a, display_name(canonical_name(ns)));
      }
    std::sort(out.servers.begin(), out.servers.end());
    out.servers.erase(std::unique(out.servers.begin(), out.servers.end()), out.servers.end());
    return out;
  }

  // A DNS check of a view selected by a TSIG key is signed with it; when the key's secret is
  // unknown the check is not made: not-checked at stage "tsig", saying which key to give.
  static void sign(dns_probe_plan& d, const view_signing& s) {
    if (s.key_name.empty()) return;
    if (s.key) {
      d.request.tsig = s.key;
      return;
    }
    d.done = not_sent_result(d.request, "tsig",
                             fmt::format("view {} is selected by TSIG key {}: {}", d.expect.view, s.key_name, s.missing),
                             fmt::format("give the key {} with --tsig-key FILE (a key file as tsig-keygen writes it)", s.key_name));
  }

  static dns_probe_plan dns_probe(const std::string& qname, std::uint16_t qtype, const std::string& transport,
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
  }

  // What `view`'s zone files say the answer is, and (for view-leak) what the other view would say.
  dns_expectation expectation(const zone::zone_data& z, const std::string& view, const std::string& other,
                              const std::string& qname, std::uint16_t qtype, bool with_other) const {
    dns_expectation e;
    e.zone = z.origin();
    e.view = view;
    e.qtype = qtype;
    auto a = answer_from_zone(zones_, view, qname, qtype);
    e.expected_answer = in_zone_records(a.records, z.origin());
    e.expected_rcode = a.rcode;
    if (with_other) {
      auto b = answer_from_zone(zones_, other, qname, qtype);
      if (b.known) {
        const zone::zone_data* zo = zones_.best_zone(other, qname);
        e.other_view_answer = in_zone_records(b.records, zo ? zo->origin() : z.origin());
        e.other_view_rcode = b.rcode;
        e.other_view = other;
      }
    }
    e.lan_prefix = lan_;
    return e;
  }

  const plan_inputs& in_;
  const run_options& o_;
  const zone::zone_set& zones_;
  const std::string& iv_;
  const std::string& ev_;
  bool want_dns_ = true;
  std::optional<ip_prefix> lan_;
  roles roles_;
  std::set<ip_address> mx_addresses_;  // where the mail servers are, for names without NAT rules
  std::vector<nat::published_service> published_;  // every DNAT'd service of the rules, read once
  // The numbers in published_ of the services on each public address, in order: dnat_of() and
  // forwarded_services() scan only those.
  std::map<ip_address, std::vector<std::size_t>> published_by_address_;
  std::set<std::string> checked_;
  std::set<flow_key> flows_;
  std::set<gate_id> gates_;
  std::set<direct_soa_key> direct_soa_;
  std::set<std::string> noted_;  // notes already made
  std::map<const zone::zone_data*, std::optional<std::string>> discriminators_;
  plan p_;
};

}  // namespace

plan make_plan(const plan_inputs& in) {
  if (!in.zones || !in.internal || !in.external) return {};
  plan p = planner(in).run();
  p.append(plan_secondaries(in));
  return p;
}

}  // namespace hc::check
