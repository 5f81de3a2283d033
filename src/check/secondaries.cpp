#include "check/secondaries.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "check/execute.hpp"
#include "core/dns_text.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_ns = 2, type_soa = 6;

// How one view of a secondary is reached: signed with the view's key, unsigned (the vantage point's
// address selects the view), or not at all (why_not, hint).
struct view_access {
  std::string key_name;
  std::optional<probes::tsig_key> key;
  std::string why_not;
  std::string hint;
};

view_access access_for(const plan_inputs& in, const bind::view_decl& view, const view_signing& s) {
  view_access a;
  a.key_name = s.key_name;
  if (!s.key_name.empty()) {
    if (s.key) {
      a.key = s.key;
    } else {
      a.why_not = fmt::format("view {} is selected by TSIG key {}: {}", view.name, s.key_name, s.missing);
      a.hint = fmt::format("give the key {} with --tsig-key FILE (a key file as tsig-keygen writes it)", s.key_name);
    }
    return a;
  }
  const std::string hint = fmt::format(
      "select view {} by a TSIG key as well (match-clients {{ key \"...\"; ... }}) and give the key with "
      "--tsig-key FILE, or run from an address that view {}'s match-clients take (--source)",
      view.name, view.name);
  if (!in.config) {
    a.why_not = fmt::format("view {} is not selected by a key, and without named.conf nothing tells which view "
                            "an unsigned question from here reaches", view.name);
    a.hint = hint;
  } else if (!in.source) {
    a.why_not = fmt::format("view {} is not selected by a key, and the vantage point's address is not known", view.name);
    a.hint = hint;
  } else if (const bind::view_decl* sel = bind::select_view(*in.config, *in.source, std::nullopt, {}, false);
             sel != &view) {
    a.why_not = fmt::format("view {} is selected by address, and an unsigned question from {} reaches {}",
                            view.name, in.source->str(), sel ? "view " + sel->name : std::string("no view"));
    a.hint = hint;
  }
  return a;
}

// The primary's own addresses: --dns-server, --external-dns (the primary on the public address),
// named.conf's listen-on, the SOA MNAME's addresses in each view, and the public addresses the NAT
// rules forward DNS (port 53, or every port) to one of those.
std::set<ip_address> primary_addresses(const plan_inputs& in, const zone::zone_data& zi, const zone::zone_data& ze) {
  std::set<ip_address> out;
  if (in.options->dns_server) out.insert(in.options->dns_server->address);
  for (const auto& e : in.options->external_dns) out.insert(e.address);
  if (in.config)
    for (const auto& text : in.config->options.listen_on)
      if (auto a = ip_address::parse(text)) out.insert(*a);
  for (const auto& [z, view] : {std::pair{&zi, &in.internal->name}, std::pair{&ze, &in.external->name}}) {
    for (const auto& soa : z->lookup(z->origin(), type_soa)) {
      auto mname = soa.substr(0, soa.find(' '));
      for (const auto& a : addresses_of(*in.zones, *view, canonical_name(mname))) out.insert(a);
    }
  }
  if (in.nat)
    for (const auto& p : nat::published(*in.nat))
      if ((p.port == 0 || (p.port <= 53 && 53 <= std::max(p.port, p.port_last))) && out.count(p.internal_address))
        out.insert(p.public_address);
  return out;
}

struct secondary {
  ip_endpoint at;
  std::string label;
  bool given = false;  // named with --secondary (else found in the zone's NS set)
};

// The zone's NS set in both views, resolved in each view's zone data (and glue), without the
// primary; then --secondary. One entry per address and port.
std::vector<secondary> secondaries_of(const plan_inputs& in, const zone::zone_data& zi, const zone::zone_data& ze) {
  const run_options& o = *in.options;
  const auto primary = primary_addresses(in, zi, ze);
  std::vector<secondary> out;
  std::set<ip_endpoint> seen;
  auto wanted = [&](const ip_address& a) { return a.v6 ? o.ipv6 : o.ipv4; };
  for (const auto& [z, view] : {std::pair{&zi, &in.internal->name}, std::pair{&ze, &in.external->name}}) {
    for (const auto& ns : z->lookup(z->origin(), type_ns)) {
      const std::string name = canonical_name(ns);
      for (const auto& a : addresses_of(*in.zones, *view, name)) {
        if (!wanted(a) || primary.count(a)) continue;
        ip_endpoint at{a, 53};
        if (seen.insert(at).second) out.push_back({at, display_name(name) + " (" + at.str() + ")"});
      }
    }
  }
  for (const auto& at : o.secondaries)
    if (seen.insert(at).second) out.push_back({at, "--secondary " + at.str(), true});
  return out;
}

// The probe result of a question that cannot be asked from here: not-checked at stage "view".
probes::probe_result cannot_ask(const dns_probe_plan& d, const view_access& a, const std::string& server) {
  return not_sent_result(d.request, a.key_name.empty() ? "view" : "tsig",
                         fmt::format("secondary {} not asked for view {}'s serial: {}", server, d.expect.view, a.why_not),
                         a.hint);
}

std::string how_asked(const secondary_ask& s) {
  return s.key_name.empty() ? std::string("unsigned") : "with TSIG key " + s.key_name;
}

// The key a view's transfers should use, for the fix.
std::string key_text(const std::string& key, const std::string& view) {
  return key.empty() ? fmt::format("<a key of view {}>", view) : key;
}

finding base(const dns_probe_plan& d, const probes::probe_result& r, finding_kind kind) {
  finding f;
  f.kind = kind;
  f.sev = default_severity(kind);
  f.name = display_name(d.secondary->zone);
  f.zone = display_name(d.secondary->zone);
  f.view = d.secondary->view;
  f.type = "SOA";
  f.service = d.request.service;
  f.path = d.request.path;
  f.address = r.check.address.empty() ? d.request.target.address.str() : r.check.address;
  return f;
}

}  // namespace

bool serial_before(std::uint32_t a, std::uint32_t b) {
  if (a == b) return false;
  const std::uint32_t half = 1u << 31;
  return (a < b && b - a < half) || (a > b && a - b > half);
}

plan plan_secondaries(const plan_inputs& in) {
  plan p;
  if (!in.options || !in.zones || !in.internal || !in.external || in.flows_only) return p;
  const run_options& o = *in.options;
  // A --secondary that is not asked says why (a note: the user asked for it, silence would read as OK).
  const bool given = !o.secondaries.empty();
  if (in.internal->name == in.external->name) {  // one view: no view to confuse with another
    if (given)
      p.notes.push_back(fmt::format("--secondary not asked: the internal and external view are one view ({}), the "
                                    "secondaries check compares the serials of two views",
                                    in.internal->name));
    return p;
  }
  if (!o.services.empty() && std::find(o.services.begin(), o.services.end(), "dns/udp") == o.services.end()) {
    if (given) p.notes.push_back("--secondary not asked: dns/udp is not among the services checked (-s)");
    return p;
  }
  const std::string& iv = in.internal->name;
  const std::string& ev = in.external->name;
  // The zones that hold a checked name, in both views.
  std::set<std::string> origins;
  for (const auto& n : in.names) {
    const zone::zone_data* zi = in.zones->best_zone(iv, n);
    const zone::zone_data* ze = in.zones->best_zone(ev, n);
    if (zi && ze && zi->origin() == ze->origin()) origins.insert(zi->origin());
    else if (given)
      p.notes.push_back(fmt::format("--secondary not asked for {}: no zone holds it in both views {} and {} with the "
                                    "same origin",
                                    display_name(n), iv, ev));
  }
  const view_access ia = access_for(in, *in.internal, in.internal_signing);
  const view_access ea = access_for(in, *in.external, in.external_signing);
  for (const auto& origin : origins) {
    const zone::zone_data* zi = in.zones->best_zone(iv, origin);
    const zone::zone_data* ze = in.zones->best_zone(ev, origin);
    if (!zi || !ze) continue;
    auto secs = secondaries_of(in, *zi, *ze);
    if (secs.size() > max_secondaries_per_zone) {
      p.notes.push_back(fmt::format("{}: {} secondaries, the first {} asked for their serials",
                                    display_name(origin), secs.size(), max_secondaries_per_zone));
      secs.resize(max_secondaries_per_zone);
    }
    for (const auto& s : secs) {
      for (int side = 0; side < 2; ++side) {
        const bool internal = side == 0;
        const view_access& a = internal ? ia : ea;
        dns_probe_plan d;
        d.request.name = display_name(origin);
        d.request.service = "dns/udp";
        d.request.path = "direct";
        d.request.target = s.at;
        d.request.qname = origin;
        d.request.qtype = type_soa;
        d.request.recursion_desired = false;
        d.request.tsig = a.key;
        d.expect.zone = origin;
        d.expect.view = internal ? iv : ev;
        d.expect.qtype = type_soa;
        d.expect.file_serial = (internal ? zi : ze)->serial();
        secondary_ask ask;
        ask.server = s.label;
        ask.zone = origin;
        ask.view = internal ? iv : ev;
        ask.other_view = internal ? ev : iv;
        ask.view_serial = (internal ? zi : ze)->serial();
        ask.other_serial = (internal ? ze : zi)->serial();
        ask.key_name = a.key_name;
        ask.other_key_name = (internal ? ea : ia).key_name;
        d.secondary = std::move(ask);
        // A secondary found in the NS set whose view our address cannot reach is not a check the
        // user asked for: a note says it was not asked (a UNKNOWN on every run of every site with a
        // secondary would teach users to ignore UNKNOWN). One given with --secondary was asked
        // for: not-checked.
        if (!a.why_not.empty() && a.key_name.empty() && !s.given) {
          p.notes.push_back(fmt::format("secondary {} not asked for view {}'s serial of {}: {} (name it with --secondary "
                                        "to make this UNKNOWN)",
                                        s.label, ask.view, display_name(origin), a.why_not));
          continue;
        }
        if (!a.why_not.empty()) d.done = cannot_ask(d, a, s.label);
        // The same question over TCP, right after it: its answer is judged when the UDP one did not
        // come (a firewall that drops UDP to the secondary, a UDP answer truncated and not fetched).
        std::optional<dns_probe_plan> tcp;
        if (!d.done) {
          tcp = d;
          tcp->request.service = "dns/tcp";
        }
        p.dns.push_back(std::move(d));
        if (tcp) p.dns.push_back(std::move(*tcp));
      }
    }
  }
  return p;
}

namespace {

// The TCP twin planned right after the UDP question at `i` (same secondary, view and zone), or -1.
std::ptrdiff_t tcp_twin(const plan& p, std::size_t i) {
  if (i + 1 >= p.dns.size()) return -1;
  const dns_probe_plan& u = p.dns[i];
  const dns_probe_plan& t = p.dns[i + 1];
  if (!t.secondary || t.request.service != "dns/tcp" || !(t.request.target == u.request.target) ||
      t.secondary->view != u.secondary->view || t.secondary->zone != u.secondary->zone)
    return -1;
  return static_cast<std::ptrdiff_t>(i + 1);
}

bool answered(const probes::probe_result& r) { return !r.failure && r.check.ok; }

}  // namespace

std::vector<finding> judge_secondaries(const plan& p, const plan_results& r) {
  std::vector<finding> out;
  for (std::size_t i = 0; i < p.dns.size() && i < r.dns.size(); ++i) {
    if (!p.dns[i].secondary) continue;
    // A TCP twin is judged with its UDP question; one without a UDP question before it on its own.
    if (p.dns[i].request.service == "dns/tcp" && i > 0 && p.dns[i - 1].secondary && tcp_twin(p, i - 1) == std::ptrdiff_t(i))
      continue;
    const std::ptrdiff_t twin = tcp_twin(p, i);
    const bool twin_answered = twin >= 0 && std::size_t(twin) < r.dns.size() && answered(r.dns[std::size_t(twin)]);
    const dns_probe_plan* dp = &p.dns[i];
    const probes::probe_result* rp = &r.dns[i];
    std::string over;
    if (!answered(*rp)) {
      const secondary_ask& s = *dp->secondary;
      // The probe's own failure, as for any DNS server (not-checked when it has no kind).
      const std::size_t before = out.size();
      for (auto& f : validate_dns(*rp, dp->expect)) {
        f.name = display_name(s.zone);
        f.evidence = fmt::format("secondary {}, view {} ({}): {}", s.server, s.view, how_asked(s), f.evidence);
        if (twin >= 0 && std::size_t(twin) < r.dns.size())
          f.evidence += twin_answered ? std::string("; over TCP it answered, its serial is judged from that answer")
                                      : "; over TCP neither: " + r.dns[std::size_t(twin)].check.detail;
        out.push_back(std::move(f));
      }
      if (!twin_answered) {
        // No answer to judge and no finding from the probe itself: never silence.
        if (out.size() == before) {
          finding f = base(*dp, *rp, finding_kind::not_checked);
          f.evidence = fmt::format("secondary {} gave no usable answer for {} in view {} ({}): {}; its serial is not "
                                   "compared",
                                   s.server, display_name(s.zone), s.view, how_asked(s),
                                   rp->check.detail.empty() ? std::string("no detail") : rp->check.detail);
          f.fix = fmt::format("check that the secondary answers SOA questions for {} from here",
                              display_name(s.zone));
          out.push_back(std::move(f));
        }
        continue;
      }
      dp = &p.dns[std::size_t(twin)];
      rp = &r.dns[std::size_t(twin)];
      over = ", over TCP: no usable UDP answer";
    }
    const dns_probe_plan& d = *dp;
    const secondary_ask& s = *d.secondary;
    const probes::probe_result& res = *rp;
    const bool has_soa = res.dns && std::any_of(res.dns->answer.begin(), res.dns->answer.end(), [](const std::string& rr) {
      return rr.find(" SOA ") != std::string::npos;
    });
    // Only an authoritative SOA answer says which serial the secondary serves (a cached one does not).
    if (!res.dns || res.dns->rcode != 0 || !has_soa || !res.dns->soa_serial || !res.dns->aa) {
      finding f = base(d, res, finding_kind::not_checked);
      const int rcode = res.dns ? res.dns->rcode : -1;
      const std::string what = rcode == 5  ? std::string("REFUSED")
                               : rcode > 0 ? "rcode " + std::to_string(rcode)
                               : !has_soa  ? std::string("no SOA in the answer")
                                           : std::string("the answer is not authoritative (AA not set)");
      f.evidence = fmt::format("secondary {} gave no authoritative SOA for {} in view {} ({}{}): {}; its serial is not "
                               "compared",
                               s.server, display_name(s.zone), s.view, how_asked(s), over, what);
      f.fix = fmt::format("check that the secondary serves {} in view {} and answers this client (allow-query)",
                          display_name(s.zone), s.view);
      out.push_back(std::move(f));
      continue;
    }
    const std::uint32_t served = *res.dns->soa_serial;
    // The primary's serial for this view is unknown (its zone data holds no SOA: a file without one,
    // a transfer that gave none): the served serial cannot be judged. Never silence: not-checked.
    if (!s.view_serial) {
      finding f = base(d, res, finding_kind::not_checked);
      f.evidence = fmt::format("secondary {} serves serial {} for {} in view {} (asked {}{}), but the primary's serial "
                               "of {} in view {} is unknown: its zone data for that view holds no SOA; the serial is "
                               "not compared",
                               s.server, served, display_name(s.zone), s.view, how_asked(s), over,
                               display_name(s.zone), s.view);
      f.fix = fmt::format("give the primary's zone data for {} in view {} with its SOA (the zone file, or "
                          "--zones-from axfr from a server that transfers it)",
                          display_name(s.zone), s.view);
      out.push_back(std::move(f));
      continue;
    }
    const std::uint32_t mine = *s.view_serial;
    if (s.other_serial && *s.other_serial != mine && served == *s.other_serial) {
      finding f = base(d, res, finding_kind::secondary_wrong_view);
      f.evidence = fmt::format(
          "secondary {} serves serial {} in view {} (asked {}{}), which is view {}'s serial ({}); the primary's view {} "
          "has {}: the secondary's view {} was transferred from the primary's view {}",
          s.server, served, s.view, how_asked(s), over, s.other_view, s.other_key_name.empty() ? std::string("selected by address") : "key " + s.other_key_name,
          s.view, mine, s.view, s.other_view);
      f.fix = fmt::format(
          "transfer each view with its own key (BIND ARM, multi-view secondaries): on the secondary, in view \"{}\" "
          "zone \"{}\" {{ type secondary; primaries {{ PRIMARY key \"{}\"; }}; }} (and in view \"{}\" the same with key "
          "\"{}\"); on the primary, allow-transfer {{ key \"{}\"; }} in view \"{}\", whose match-clients takes that key; "
          "then rndc retransfer {} IN {} on the secondary",
          s.view, display_name(s.zone), key_text(s.key_name, s.view), s.other_view, key_text(s.other_key_name, s.other_view),
          key_text(s.key_name, s.view), s.view, display_name(s.zone), s.view);
      out.push_back(std::move(f));
    } else if (serial_before(served, mine)) {
      finding f = base(d, res, finding_kind::secondary_stale);
      f.evidence = fmt::format("secondary {} serves serial {} in view {} (asked {}{}); the primary's view {} has {}",
                               s.server, served, s.view, how_asked(s), over, s.view, mine);
      f.fix = fmt::format(
          "check NOTIFY and zone transfers from the primary to the secondary for view {} (also-notify, allow-transfer, "
          "the secondary's log), then rndc retransfer {} IN {} on the secondary",
          s.view, display_name(s.zone), s.view);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace hc::check
