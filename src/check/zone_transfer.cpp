#include "check/zone_transfer.hpp"

#include <map>
#include <set>

#include <fmt/format.h>

#include "check/vantage.hpp"
#include "core/dns_text.hpp"
#include "core/kinds.hpp"
#include "probes/dns.hpp"
#include "probes/dns_wire.hpp"
#include "zone/axfr.hpp"

namespace hc::check {
namespace {

using zone_source = run_options::zone_source;

// The first key a non-negated `key` element of `list` names (nested lists followed), or "".
std::string first_key(const bind::address_match_list& list) {
  for (const auto& e : list.elements) {
    if (e.negated) continue;
    if (e.what == bind::address_match_element::kind::key) return e.ref;
    if (e.what == bind::address_match_element::kind::nested && e.nested)
      if (auto k = first_key(*e.nested); !k.empty()) return k;
  }
  return {};
}

// The view that answers a non-recursive query (AXFR) from `client` to `server`, signed with `key`
// when it is not empty; nullptr when none.
const bind::view_decl* view_reached(const bind::config& cfg, const ip_address& client, const ip_address& server,
                                    const std::string& key) {
  for (const auto& v : cfg.views) {
    if (v.rrclass != "IN" && v.rrclass != "in") continue;
    if (v.match_recursive_only) continue;
    const bool takes = key.empty() ? bind::matches(cfg, v.match_clients, client)
                                   : bind::matches_with_key(cfg, v.match_clients, client, key);
    if (!takes || !bind::matches(cfg, v.match_destinations, server)) continue;
    return &v;
  }
  return nullptr;
}

// The server zones are transferred from: --dns-server, else the first listen-on address of
// named.conf that is an IPv4 address other than 0.0.0.0, else the resolver (--resolver, else the
// first nameserver of resolv.conf: on the server itself, or where the resolver is the server), else
// 127.0.0.1; port 53.
ip_endpoint transfer_server(const run_options& o, const bind::config* cfg) {
  if (o.dns_server) return *o.dns_server;
  if (cfg)
    for (const auto& text : cfg->options.listen_on) {
      auto a = ip_address::parse(text);
      if (a && !a->v6 && (a->bytes[0] | a->bytes[1] | a->bytes[2] | a->bytes[3]) != 0) return ip_endpoint{*a, 53};
    }
  if (o.resolver) return ip_endpoint{o.resolver->address, 53};
  if (auto ns = probes::read_first_nameserver(o.resolv_conf)) return ip_endpoint{*ns, 53};
  return *ip_endpoint::parse("127.0.0.1", 53);
}

// Can a zone of this type be transferred?
bool transferable(const bind::zone_decl& z) {
  return z.type == "primary" || z.type == "secondary" || z.type == "mirror" || !z.in_view.empty() ||
         z.type == "in-view";
}

// How one view is reached for its transfers: signed with `key`, unsigned, or not at all (`why_not`).
struct view_access {
  std::optional<probes::tsig_key> key;
  std::string how;      // for the notes
  std::string why_not;  // set: the view cannot be transferred
};

// The key of `--view NAME=KEYFILE`, the view's own key (match-clients `key` element) from
// --tsig-key or named.conf, or none when our address selects the view by itself.
view_access access_for(const bind::config& cfg, const bind::view_decl& v, const std::string& keyfile,
                       const std::vector<bind::key_decl>& given, const ip_address& source, const ip_endpoint& server,
                       stage_report& report) {
  view_access out;
  std::string key_name = first_key(v.match_clients);
  const bind::key_decl* k = nullptr;
  std::string from;
  std::vector<bind::key_decl> from_file;
  if (!keyfile.empty()) {
    from_file = read_tsig_key_files({keyfile}, report);
    if (from_file.empty()) {
      out.why_not = fmt::format("the key file {} given with --view {}= holds no usable key", keyfile, v.name);
      return out;
    }
    k = key_name.empty() ? &from_file.front() : bind::find_key(from_file, key_name);
    if (!k) k = &from_file.front();
    from = "--view " + v.name + "=" + keyfile;
  } else if (!key_name.empty()) {
    if ((k = bind::find_key(given, key_name))) from = "--tsig-key " + k->where.file;
    else if ((k = bind::find_key(cfg.keys, key_name, v.name))) from = "named.conf " + k->where.str();
  }
  if (k) {
    if (!probes::tsig_algorithm_for_ldns(k->algorithm)) {
      out.why_not = fmt::format("key '{}' ({}) uses {}, which hairpin-check cannot sign with", k->name, from, k->algorithm);
      return out;
    }
    const bind::view_decl* reached = view_reached(cfg, source, server.address, k->name);
    if (reached == &v) {
      out.key = probes::tsig_key{k->name, k->algorithm, k->secret};
      out.how = fmt::format("signed with TSIG key '{}' (from {})", k->name, from);
      return out;
    }
    if (!keyfile.empty() && cfg.views.size() == 1 && v.implicit) {  // no views: any key reaches the one there is
      out.key = probes::tsig_key{k->name, k->algorithm, k->secret};
      out.how = fmt::format("signed with TSIG key '{}' (from {})", k->name, from);
      return out;
    }
    out.why_not = fmt::format("a transfer from {} signed with key '{}' ({}) is answered by {}, not by view '{}'",
                              source.str(), k->name, from,
                              reached ? "view '" + reached->name + "'" : std::string("no view"), v.name);
    return out;
  }
  if (view_reached(cfg, source, server.address, {}) == &v) {
    out.how = fmt::format("unsigned: our address {} selects it", source.str());
    return out;
  }
  out.why_not =
      key_name.empty()
          ? fmt::format("it is selected by address and our address {} does not select it", source.str())
          : fmt::format("it is selected by TSIG key '{}', which neither named.conf's key statements nor --tsig-key "
                        "give, and our address {} does not select it",
                        key_name, source.str());
  return out;
}

// A transfer that did not give the zone: not-checked, or tsig-bad when the key was refused or a
// reply did not verify.
finding transfer_failure(const zone::axfr_result& r, const bind::zone_decl& z, const std::string& view,
                         const ip_endpoint& server) {
  finding f;
  if (r.status == zone::axfr_status::tsig_bad) {
    f.kind = finding_kind::tsig_bad;
    f.sev = default_severity(f.kind);
    f.evidence = r.error;
    f.fix = "give the key that selects the view (--view NAME=KEYFILE or --tsig-key FILE, the secret named.conf "
            "holds) and check the clocks of both hosts (BADTIME)";
  } else {
    f = not_checked(z.name, r.error,
                    r.status == zone::axfr_status::refused
                        ? "let this host transfer the zone: allow-transfer { key \"KEY\"; }; in the view (or its "
                          "address), or use --zones-from files where the zone files are readable"
                        : "check that the server answers AXFR over TCP from here within -t, or use --zones-from files");
  }
  f.name = z.name;
  f.zone = z.name;
  f.view = view;
  f.service = "dns/tcp";
  f.address = server.str();
  return f;
}

// The DNSSEC records a signing server adds to a zone that its file does not hold.
bool signer_added(std::uint16_t type) {
  return type == zone::rr_type::rrsig || type == zone::rr_type::nsec || type == zone::rr_type::nsec3 ||
         type == zone::rr_type::nsec3param || type == zone::rr_type::dnskey || type == 59 /* CDS */ ||
         type == 60 /* CDNSKEY */ || type == 65534 /* BIND's signing state */;
}

// "owner TYPE rdata" for every record of z, DNSSEC records left out when `skip_dnssec`.
std::set<std::string> record_texts(const zone::zone_data& z, bool skip_dnssec) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < z.name_count(); ++i)
    for (std::size_t r = z.first_record(i); r < z.end_record(i); ++r) {
      auto rec = z.record_at(r);
      if (skip_dnssec && signer_added(rec.type)) continue;
      out.insert(fmt::format("{} {} {}", z.name_at(i), rr_type_name(rec.type), rec.rdata));
    }
  return out;
}

// The records that differ between the file and the transfer, bounded: a stale-zone finding, or
// nothing when they hold the same records.
std::optional<finding> compare_records(const zone::loaded_zone& file, const zone::zone_data& served,
                                       const zone::axfr_request& req) {
  const bool file_signed = !file.data->lookup(file.data->origin(), zone::rr_type::dnskey).empty();
  auto in_file = record_texts(*file.data, !file_signed);
  auto on_server = record_texts(served, !file_signed);
  std::vector<std::string> diffs;
  std::size_t n = 0;
  constexpr std::size_t shown = 10;
  for (const auto& t : in_file)
    if (!on_server.count(t) && n++ < shown) diffs.push_back("file only: " + t);
  for (const auto& t : on_server)
    if (!in_file.count(t) && n++ < shown) diffs.push_back("served only: " + t);
  if (n == 0) return std::nullopt;
  finding f;
  f.kind = finding_kind::stale_zone;
  f.sev = default_severity(f.kind);
  f.name = file.decl.name;
  f.zone = file.decl.name;
  f.view = file.view;
  f.service = "dns/tcp";
  f.address = req.server.str();
  std::string list;
  for (const auto& d : diffs) list += (list.empty() ? "" : "; ") + d;
  if (n > shown) list += fmt::format("; and {} more", n - shown);
  f.evidence = fmt::format("{}: {} record{} differ from {} (served serial {}, file serial {}): {}", describe_transfer(req),
                           n, n == 1 ? "" : "s", file.decl.file,
                           served.serial() ? std::to_string(*served.serial()) : std::string("none"),
                           file.data->serial() ? std::to_string(*file.data->serial()) : std::string("none"), list);
  f.fix = fmt::format("reload the zone so that the server serves the file (rndc reload {} IN {}), or bring the file "
                      "up to date with what is served",
                      file.decl.name, file.view);
  return f;
}

}  // namespace

// --zones-from axfr|both with named.conf: each view's zones transferred (axfr: into in.zones;
// both: compared with the files already loaded there).
void transfer_zones(const run_options& o, run_inputs& in, std::chrono::steady_clock::time_point deadline) {
  const auto& cfg = *in.config;
  const ip_endpoint server = transfer_server(o, &cfg);
  const ip_address source = o.source ? *o.source : kernel_source_for(server.address).value_or(server.address);
  const auto given = read_tsig_key_files(o.tsig_key_files, in);
  for (const auto& [name, file] : o.transfer_views)
    if (cfg.file != "--view" && !bind::find_view(cfg, name))
      in.findings.push_back(config_error(fmt::format("--view {}: no such view in {}", name, cfg.file),
                                         "name a view of the BIND configuration"));
  // (view, zone) → the data transferred; with axfr, in.zones is rebuilt from it in declaration order.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const zone::zone_data>> transferred;
  for (const auto& v : cfg.views) {
    std::string keyfile;
    bool asked = o.transfer_views.empty();
    for (const auto& [name, file] : o.transfer_views)
      if (name == v.name) {
        asked = true;
        keyfile = file;
      }
    std::vector<const bind::zone_decl*> zones;
    for (const auto& z : v.zones)
      if (transferable(z)) zones.push_back(&z);
    if (!asked) {
      if (!zones.empty()) in.notes.push_back(fmt::format("view '{}' is not transferred (not named with --view)", v.name));
      continue;
    }
    const view_access access = access_for(cfg, v, keyfile, given, source, server, in);
    if (!access.why_not.empty()) {
      if (zones.empty()) continue;
      finding f = not_checked(
          v.name,
          fmt::format("view '{}' could not be transferred from {}: {}", v.name, server.str(), access.why_not),
          "give the key that selects the view (--view NAME=KEYFILE or --tsig-key FILE), or run from an address the "
          "view's match-clients takes");
      f.view = v.name;
      f.service = "dns/tcp";
      f.count = zones.size();
      for (const auto* z : zones) f.names.push_back(z->name);
      in.findings.push_back(std::move(f));
      continue;
    }
    in.notes.push_back(fmt::format("view '{}': zones transferred from {}, {}", v.name, server.str(), access.how));
    for (const auto* z : zones) {
      zone::axfr_request req;
      req.zone = z->name;
      req.view = v.name;
      req.server = server;
      req.source = o.source;  // only when asked: the kernel's choice is `source` already
      req.key = access.key;
      req.deadline = deadline;
      req.limits = zone::axfr_limits::current();
      zone::axfr_result r = zone::transfer_zone(req);
      if (r.status != zone::axfr_status::ok) {
        in.findings.push_back(transfer_failure(r, *z, v.name, server));
        continue;
      }
      if (o.zones_from == zone_source::axfr) {
        transferred[{v.name, z->name}] = std::shared_ptr<const zone::zone_data>(std::move(r.data));
      } else if (const auto* file = in.zones.entry(v.name, z->name); file && file->data) {
        if (auto f = compare_records(*file, *r.data, req)) in.findings.push_back(std::move(*f));
      } else {
        // Nothing to compare the transfer with (a zone without a file, a file not loaded: reported
        // where it is read): say so rather than pass over it.
        in.notes.push_back(fmt::format("view '{}': zone {} transferred from {}, but no zone file of it is loaded: "
                                       "the transfer is not compared with a file",
                                       v.name, z->name, server.str()));
      }
    }
  }
  if (o.zones_from == zone_source::axfr) {
    // Every zone declared, in order; those not transferred (forward, hint, refused, ...) without data.
    zone::zone_set zones;
    for (const auto& v : cfg.views)
      for (const auto& z : v.zones) {
        auto it = transferred.find({v.name, z.name});
        zones.add(zone::loaded_zone{v.name, z, it == transferred.end() ? nullptr : it->second});
      }
    in.zones = std::move(zones);
  }
}

// Without named.conf, with --zones-from axfr|both and --view: a configuration made of the views
// given, in order (the first is the internal one): a view with KEYFILE takes the clients that sign
// with its key, the last view also every keyless client, a view without KEYFILE every client (the
// server's own view selection decides). Its zones are those of the names asked for, each found by an
// SOA query to the server with the view's key. The transfers are then made as with named.conf.
void views_from_server(const run_options& o, run_inputs& in, std::chrono::steady_clock::time_point deadline) {
  bind::config cfg;
  cfg.file = "--view";
  const ip_endpoint server = transfer_server(o, nullptr);
  for (std::size_t i = 0; i < o.transfer_views.size(); ++i) {
    const auto& [name, keyfile] = o.transfer_views[i];
    bind::view_decl v;
    v.name = name;
    v.where.file = "--view";
    std::optional<probes::tsig_key> key;
    if (!keyfile.empty()) {
      auto keys = read_tsig_key_files({keyfile}, in);
      if (keys.empty()) continue;  // the config-error is reported
      bind::address_match_element e;
      e.what = bind::address_match_element::kind::key;
      e.ref = keys.front().name;
      e.text = "key \"" + e.ref + "\"";
      v.match_clients.elements.push_back(std::move(e));
      key = probes::tsig_key{keys.front().name, keys.front().algorithm, keys.front().secret};
      cfg.keys.push_back(keys.front());
    }
    if (keyfile.empty() || i + 1 == o.transfer_views.size()) {
      bind::address_match_element any;
      any.what = bind::address_match_element::kind::any;
      any.text = "any";
      v.match_clients.elements.push_back(std::move(any));
    }
    {
      bind::address_match_element any;
      any.what = bind::address_match_element::kind::any;
      any.text = "any";
      v.match_destinations.elements.push_back(std::move(any));
    }
    std::set<std::string> seen;
    for (const auto& n : o.names) {
      auto z = zone::find_zone(server, n, name, key, deadline, o.source);
      if (z.status != zone::axfr_status::ok) {
        finding f;
        if (z.status == zone::axfr_status::tsig_bad) {
          f.kind = finding_kind::tsig_bad;
          f.sev = default_severity(f.kind);
          f.evidence = z.error;
          f.fix = "give the key that selects the view (--view NAME=KEYFILE)";
        } else {
          f = not_checked(n, z.error, "give the BIND configuration (-C PATH), or a server that answers for the name "
                                      "(--dns-server ADDR)");
        }
        f.name = n;
        f.view = name;
        in.findings.push_back(std::move(f));
        continue;
      }
      std::string zone_name = z.zone.size() > 1 ? z.zone.substr(0, z.zone.size() - 1) : z.zone;
      if (!seen.insert(zone_name).second) continue;
      bind::zone_decl d;
      d.name = zone_name;
      d.type = "primary";
      d.where.file = "--view";
      v.zones.push_back(std::move(d));
    }
    cfg.views.push_back(std::move(v));
  }
  in.notes.push_back(fmt::format("no BIND configuration: the views are those of --view ({} the internal one), their "
                                 "zones those of the names asked for, found with SOA queries to {}",
                                 o.transfer_views.front().first, server.str()));
  in.config = std::move(cfg);
}

}  // namespace hc::check
