#include "check/dnssec_parity.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "core/dns_text.hpp"
#include "core/handles.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_ds = 43;
constexpr std::size_t max_keys = 64;  // DNSKEYs and DS records looked at per zone and view (bounded)
constexpr std::size_t max_listed = 8;  // of which the evidence names at most these

// One DNSKEY of a view: its tag, flags and algorithm, and the record itself for DS comparisons.
struct key_info {
  std::uint16_t tag = 0;
  std::uint16_t flags = 0;
  unsigned algorithm = 0;
  std::string rdata;
  ldns_rr_ptr rr;
};

// The DNSSEC state of a zone in one view.
struct view_keys {
  std::string view;
  std::string file;          // where the keys were read (the zone file, or named's FILE.signed)
  bool signed_zone = false;  // a DNSKEY RRset at the apex
  bool has_rrsig = false;    // RRSIGs at the apex
  bool keys_unknown = false; // signed by named (FILE.signed exists) but that copy could not be read
  bool named_copy = false;   // the keys come from named's FILE.signed beside the configured file
  std::vector<key_info> keys;
  std::vector<std::string> rdata;  // the DNSKEY rdata texts, sorted (what compares the views)
};

ldns_rr_ptr parse_rr(const std::string& owner, const char* type, std::string_view rdata) {
  const std::string text = fmt::format("{} 300 IN {} {}", owner, type, rdata);
  ldns_rr* rr = nullptr;
  const ldns_status st = ldns_rr_new_frm_str(&rr, text.c_str(), 300, nullptr, nullptr);
  ldns_rr_ptr owned{rr};
  if (st != LDNS_STATUS_OK) return nullptr;
  return owned;
}

// "a, b, c", the first max_listed of `total` items, then "and N more".
std::string join(const std::vector<std::string>& parts, std::size_t total = 0) {
  std::string out;
  for (std::size_t i = 0; i < parts.size() && i < max_listed; ++i) out += (out.empty() ? "" : ", ") + parts[i];
  total = std::max(total, parts.size());
  if (total > max_listed) out += fmt::format(" and {} more", total - max_listed);
  return out;
}

// Zones whose data a view serves with authority (hint, stub and forward zones do not count).
bool authoritative(const bind::zone_decl& d) {
  return !d.in_view.empty() || d.type == "primary" || d.type == "master" || d.type == "secondary" ||
         d.type == "slave" || d.type == "mirror";
}

view_keys keys_from(const zone::zone_data& z, const std::string& view, const std::string& file) {
  view_keys out;
  out.view = view;
  out.file = file;
  const std::string& apex = z.origin();
  out.rdata = z.lookup(apex, zone::rr_type::dnskey);
  out.signed_zone = !out.rdata.empty();
  out.has_rrsig = !z.lookup(apex, zone::rr_type::rrsig).empty();
  for (const auto& rd : out.rdata) {
    if (out.keys.size() >= max_keys) break;
    key_info k;
    k.rdata = rd;
    k.rr = parse_rr(apex, "DNSKEY", rd);
    if (k.rr && ldns_rr_rd_count(k.rr.get()) == 4) {
      k.tag = ldns_calc_keytag(k.rr.get());
      k.flags = ldns_rdf2native_int16(ldns_rr_rdf(k.rr.get(), 0));
      k.algorithm = ldns_rdf2native_int8(ldns_rr_rdf(k.rr.get(), 2));
    } else {
      k.rr.reset();
    }
    out.keys.push_back(std::move(k));
  }
  // KSKs (SEP flag) first, then by tag: the order the evidence names them in.
  std::stable_sort(out.keys.begin(), out.keys.end(), [](const key_info& a, const key_info& b) {
    return std::make_pair(!(a.flags & 1), a.tag) < std::make_pair(!(b.flags & 1), b.tag);
  });
  return out;
}

// The keys of a view's zone: from its file; when the file has no DNSKEY but named's signed copy
// FILE.signed (inline-signing, dnssec-policy) exists, from that copy (text format, as named writes
// it for primary zones; a copy that cannot be read leaves the keys unknown).
view_keys keys_of(const zone::loaded_zone& lz) {
  view_keys out = keys_from(*lz.data, lz.view, lz.decl.file);
  if (out.signed_zone || lz.decl.file.empty()) return out;
  const std::string copy = lz.decl.file + ".signed";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(copy, ec)) return out;
  diagnostics ignored;  // the copy is named's own output: its errors are not the user's input errors
  auto data = zone::load_zone_file(copy, lz.data->origin(), ignored);
  if (data) {
    view_keys from_copy = keys_from(*data, lz.view, copy);
    from_copy.named_copy = true;
    if (from_copy.signed_zone) return from_copy;
    return out;  // a copy without DNSKEY: named does not sign it (any more)
  }
  out.signed_zone = true;
  out.keys_unknown = true;
  out.named_copy = true;
  out.file = copy;
  return out;
}

// "22226 (KSK), 17153 (ZSK), algorithm 13".
std::string describe_keys(const view_keys& v) {
  if (!v.signed_zone) return "unsigned (no DNSKEY at the apex)";
  if (v.keys_unknown) return fmt::format("signed by named ({} exists) with DNSKEYs that could not be read", v.file);
  std::vector<std::string> parts;
  std::vector<unsigned> algs;
  for (const auto& k : v.keys) {
    if (!k.rr) {
      parts.push_back("an unreadable key");
      continue;
    }
    parts.push_back(fmt::format("{} ({})", k.tag, (k.flags & 1) ? "KSK" : "ZSK"));
    if (std::find(algs.begin(), algs.end(), k.algorithm) == algs.end()) algs.push_back(k.algorithm);
  }
  std::string algo;
  for (auto a : algs) algo += (algo.empty() ? "" : "/") + std::to_string(a);
  return fmt::format("signed with DNSKEY tag{} {}, algorithm {}{}{}", v.rdata.size() == 1 ? "" : "s",
                     join(parts, v.rdata.size()), algo.empty() ? "?" : algo, v.has_rrsig ? "" : " (but no RRSIG at the apex)",
                     v.named_copy ? fmt::format(" (in named's signed copy {})", v.file) : "");
}

// One DS record, parsed, with its tag, algorithm and digest type for the evidence.
struct ds_info {
  std::string text;  // "22226/13/2": tag, algorithm, digest type
  ldns_rr_ptr rr;
  bool computable = false;  // ldns can compute its digest type
};

std::vector<ds_info> parse_ds(const std::string& zone, const std::vector<std::string>& records) {
  std::vector<ds_info> out;
  for (const auto& rd : records) {
    if (out.size() >= max_keys) break;
    ds_info d;
    d.rr = parse_rr(zone, "DS", rd);
    if (d.rr && ldns_rr_rd_count(d.rr.get()) == 4) {
      unsigned tag = ldns_rdf2native_int16(ldns_rr_rdf(d.rr.get(), 0));
      unsigned alg = ldns_rdf2native_int8(ldns_rr_rdf(d.rr.get(), 1));
      unsigned digest = ldns_rdf2native_int8(ldns_rr_rdf(d.rr.get(), 2));
      d.text = fmt::format("{}/{}/{}", tag, alg, digest);
      d.computable = digest == LDNS_SHA1 || digest == LDNS_SHA256 || digest == LDNS_SHA384;
    } else {
      d.rr.reset();
      d.text = "an unreadable DS";
    }
    out.push_back(std::move(d));
  }
  return out;
}

// Does the DS name one of the view's DNSKEYs (the digest of that key with the DS's digest type)?
std::optional<std::uint16_t> matched_key(const ds_info& ds, const view_keys& v) {
  if (!ds.rr || !ds.computable) return std::nullopt;
  const auto digest = static_cast<ldns_hash>(ldns_rdf2native_int8(ldns_rr_rdf(ds.rr.get(), 2)));
  const std::string want = canonical_rdata(ds.rr.get());
  for (const auto& k : v.keys) {
    if (!k.rr) continue;
    ldns_rr_ptr made{ldns_key_rr2ds(k.rr.get(), digest)};
    if (made && canonical_rdata(made.get()) == want) return k.tag;
  }
  return std::nullopt;
}

// The zone of `view` that is the closest parent of `zone` (canonical), or nullptr.
const zone::loaded_zone* parent_in(const zone::zone_set& zones, const std::string& view, const std::string& zone) {
  const zone::loaded_zone* best = nullptr;
  std::size_t best_len = 0;
  for (const auto* lz : zones.zones_of(view)) {
    if (!authoritative(lz->decl)) continue;
    const std::string origin = canonical_name(lz->decl.name);
    if (origin == zone || origin.size() > zone.size()) continue;
    bool above = origin == "." || (zone.size() > origin.size() && zone.compare(zone.size() - origin.size(), origin.size(), origin) == 0 &&
                                   zone[zone.size() - origin.size() - 1] == '.');
    if (above && (!best || origin.size() > best_len)) {
      best = lz;
      best_len = origin.size();
    }
  }
  return best;
}

// The parent's DS from the configuration: known when a view's parent zone loaded, unknown (with
// the reason) when it is declared but has no data, nullopt when no view serves a parent.
std::optional<parent_ds> ds_from_config(const zone::zone_set& zones, const std::string& zone,
                                        const bind::view_decl& internal, const bind::view_decl& external) {
  for (const auto* view : {&internal, &external}) {
    const zone::loaded_zone* p = parent_in(zones, view->name, zone);
    if (!p) continue;
    parent_ds out;
    out.source = fmt::format("parent zone {} of view {}", display_name(canonical_name(p->decl.name)), view->name);
    if (!p->data) {
      out.reason = fmt::format("the {} is declared but its data did not load ({})", out.source,
                               p->decl.file.empty() ? "no file" : p->decl.file);
      return out;
    }
    out.known = true;
    out.records = p->data->lookup(zone, type_ds);
    if (!p->decl.file.empty()) out.source += ", " + p->decl.file;
    return out;
  }
  return std::nullopt;
}

std::string fix_text(const std::string& zone_name, const std::string& failing) {
  return fmt::format(
      "sign the zone the same way in both views: the same dnssec-policy and the same keys (one key-directory "
      "shared by both views' zone statements, or the signed external zone served in both views with in-view), "
      "so that every view serves the DNSKEYs the parent's DS names; or, until then, exempt it on the validating "
      "resolvers of view {}: validate-except {{ \"{}\"; }}; in their options, or a negative trust anchor "
      "(rndc nta {}, which expires after nta-lifetime)",
      failing, zone_name, zone_name);
}

finding base_finding(const std::string& zone, severity sev, std::string view) {
  finding f;
  f.kind = finding_kind::dnssec_split;
  f.sev = sev;
  f.zone = display_name(zone);
  f.name = f.zone;
  f.type = "DNSKEY";
  f.view = std::move(view);
  return f;
}

// The finding (if any) for one zone whose views differ in DNSSEC, once the parent's DS is known or not.
std::optional<finding> judge_zone(const std::string& zone, const view_keys& in, const view_keys& ex,
                                  const parent_ds& ds) {
  const std::string zname = display_name(zone);
  const std::string states = fmt::format("{}: view {} {}; view {} {}", zname, ex.view, describe_keys(ex), in.view,
                                         describe_keys(in));
  const std::string both = in.view + "," + ex.view;
  if (!ds.known) {
    finding f = base_finding(zone, severity::warning, both);
    f.evidence = fmt::format("{}; the parent's DS could not be checked: {}", states, ds.reason);
    f.fix = fmt::format(
        "check whether the parent holds a DS (dig DS {}): with a DS, validating resolvers fail for the view whose "
        "DNSKEYs it does not name; run without --static, or give the parent zone in the configuration. Then {}",
        zname, fix_text(zname, in.view));
    return f;
  }
  if (ds.records.empty()) {
    finding f = base_finding(zone, severity::info, both);
    f.evidence = fmt::format("{}; no DS at the parent ({}): validators treat the zone as insecure, so both views "
                             "resolve, but a DS published for one view's keys would break the other",
                             states, ds.source);
    f.fix = fmt::format("before the parent gets a DS, {}", fix_text(zname, in.view));
    return f;
  }
  auto dss = parse_ds(zone, ds.records);
  std::vector<std::string> ds_texts;
  bool any_computable = false;
  for (const auto& d : dss) {
    ds_texts.push_back(d.text);
    any_computable = any_computable || d.computable;
  }
  const std::string ds_list = join(ds_texts, ds.records.size());
  if (!any_computable) {
    finding f = base_finding(zone, severity::warning, both);
    f.evidence = fmt::format("{}; the parent's DS ({}: tag/algorithm/digest type {}) uses no digest type that can "
                             "be compared with the DNSKEYs (SHA-1, SHA-256, SHA-384)",
                             states, ds.source, ds_list);
    f.fix = fix_text(zname, in.view);
    return f;
  }
  auto matches = [&](const view_keys& v) -> std::optional<std::uint16_t> {
    if (!v.signed_zone) return std::nullopt;
    for (const auto& d : dss)
      if (auto t = matched_key(d, v)) return t;
    return std::nullopt;
  };
  const auto in_match = matches(in);
  const auto ex_match = matches(ex);
  if (in_match && ex_match) return std::nullopt;  // each view serves a key the DS names: both validate
  auto says = [](const view_keys& v, const std::optional<std::uint16_t>& m) {
    if (m) return fmt::format("the DS names view {}'s key {}", v.view, *m);
    if (v.keys_unknown) return fmt::format("view {}'s keys could not be compared with the DS", v.view);
    return fmt::format("view {} has {}", v.view, v.signed_zone ? "no DNSKEY the DS names" : "no DNSKEY at all");
  };
  // A view fails for sure when its keys are known and none is named; unknown keys decide nothing.
  const bool in_fails = !in_match && !in.keys_unknown;
  const bool ex_fails = !ex_match && !ex.keys_unknown;
  if (!in_fails && !ex_fails) {
    finding f = base_finding(zone, severity::warning, both);
    f.evidence = fmt::format("{}; DS at the parent ({}): tag/algorithm/digest type {}; {}, {}", states, ds.source,
                             ds_list, says(ex, ex_match), says(in, in_match));
    f.fix = fmt::format("check that the DNSKEYs named serves in both views match the DS (dig DNSKEY {} from each "
                        "view, dnssec-dsfromkey); then {}",
                        zname, fix_text(zname, in.view));
    return f;
  }
  std::string failing = in_fails && ex_fails ? both : in_fails ? in.view : ex.view;
  finding f = base_finding(zone, severity::critical, failing);
  f.evidence = fmt::format("{}; DS at the parent ({}): tag/algorithm/digest type {}; {}, {}: a validating resolver "
                           "that gets {} from view{} {} finds its answers bogus and returns SERVFAIL for every name "
                           "of the zone",
                           states, ds.source, ds_list, says(ex, ex_match), says(in, in_match), zname,
                           failing == both ? "s" : "", failing);
  if (ex_fails && !in_fails)
    f.fix = fmt::format(
        "the DS names the internal view's keys only, so resolvers on the Internet fail: sign view {} with the keys "
        "the DS names (the same dnssec-policy and key-directory as view {}), or publish the DS of view {}'s KSK at "
        "the parent (dnssec-dsfromkey)",
        ex.view, in.view, ex.view);
  else
    f.fix = fix_text(zname, failing);
  return f;
}

}  // namespace

std::vector<finding> dnssec_parity(const zone::zone_set& zones, const bind::view_decl& internal,
                                   const bind::view_decl& external, const parity_options& opts) {
  const ds_lookup& live = opts.live;
  auto wanted = [&](const zone::zone_data& z) {
    if (!opts.names) return true;
    return std::any_of(opts.names->begin(), opts.names->end(), [&](const std::string& n) { return z.contains(n); });
  };
  struct pending {
    std::string zone;
    view_keys in, ex;
    std::optional<parent_ds> ds;
  };
  std::vector<pending> cases;
  for (const auto* lz : zones.zones_of(external.name)) {
    if (!lz->data || !authoritative(lz->decl) || !wanted(*lz->data)) continue;
    const std::string zone = lz->data->origin();
    const zone::loaded_zone* other = zones.entry(internal.name, zone);
    if (!other || !other->data || !authoritative(other->decl)) continue;
    pending p;
    p.zone = zone;
    p.ex = keys_of(*lz);
    p.in = keys_of(*other);
    p.ex.view = external.name;
    p.in.view = internal.name;
    if (!p.ex.signed_zone && !p.in.signed_zone) continue;
    if (p.ex.signed_zone && p.in.signed_zone && !p.ex.keys_unknown && !p.in.keys_unknown && p.ex.rdata == p.in.rdata)
      continue;
    p.ds = ds_from_config(zones, zone, internal, external);
    cases.push_back(std::move(p));
  }

  // Parents the configuration does not hold (or holds without data): asked live, all at once.
  auto needs_live = [](const pending& c) { return !c.ds || !c.ds->known; };
  std::vector<std::string> ask;
  for (const auto& c : cases)
    if (needs_live(c)) ask.push_back(c.zone);
  std::vector<parent_ds> answers;
  if (live && !ask.empty()) answers = live(ask);
  std::size_t next = 0;
  for (auto& c : cases) {
    if (!needs_live(c)) continue;
    if (live && next < answers.size()) {
      c.ds = std::move(answers[next++]);
    } else if (!c.ds) {
      parent_ds unknown;
      unknown.reason = live ? "the live DS lookup gave no answer"
                            : "the parent zone is not in the configuration, and no DS question is sent (--static)";
      c.ds = std::move(unknown);
    }
  }

  std::vector<finding> out;
  for (const auto& c : cases)
    if (auto f = judge_zone(c.zone, c.in, c.ex, *c.ds)) out.push_back(std::move(*f));
  std::sort(out.begin(), out.end(), [](const finding& a, const finding& b) { return a.zone < b.zone; });
  return out;
}

parent_ds ds_from_answer(const std::string& zone, const probes::probe_result& answer, const std::string& source) {
  parent_ds out;
  out.source = source;
  const std::string z = canonical_name(zone);
  if (!answer.dns || answer.dns->rcode < 0) {
    out.reason = fmt::format("the DS question to {} got no answer ({}{}{})", source, answer.check.stage,
                             answer.check.detail.empty() ? "" : ": ", answer.check.detail);
    return out;
  }
  const auto& d = *answer.dns;
  if (d.rcode == 3) {
    out.known = true;  // the name does not exist above: no DS
    return out;
  }
  if (d.rcode != 0) {
    out.reason = fmt::format("{} answered the DS question with rcode {}{}", source, d.rcode,
                             d.rcode == 2 ? " (SERVFAIL)" : d.rcode == 5 ? " (REFUSED)" : "");
    return out;
  }
  const std::string prefix = z + " DS ";
  for (const auto& rr : d.answer)
    if (rr.size() > prefix.size() && rr.compare(0, prefix.size(), prefix) == 0 && out.records.size() < max_keys)
      out.records.push_back(rr.substr(prefix.size()));
  if (!out.records.empty()) {
    out.known = true;
    return out;
  }
  const std::string own_soa = z + " SOA ";
  for (const auto& rr : d.authority)
    if (rr.compare(0, own_soa.size(), own_soa) == 0) {
      out.reason = fmt::format("{} answered the DS question from the zone {} itself (its SOA), not from its parent",
                               source, display_name(z));
      return out;
    }
  for (const auto& rr : d.answer)
    if (rr.find(" CNAME ") != std::string::npos) {
      out.reason = fmt::format("{} answered the DS question with a CNAME", source);
      return out;
    }
  out.known = true;  // NODATA from above the zone: no DS
  return out;
}

ds_lookup ds_from_resolver(const ip_endpoint& resolver, const send_fn& send) {
  return [resolver, send](const std::vector<std::string>& zones) {
    std::vector<probes::probe_request> reqs;
    for (const auto& z : zones) {
      probes::probe_request r;
      r.name = display_name(z);
      r.service = "dns/udp";
      r.path = "resolver";
      r.target = resolver;
      r.qname = canonical_name(z);
      r.qtype = type_ds;
      r.recursion_desired = true;
      reqs.push_back(std::move(r));
    }
    const std::string source = "resolver " + resolver.str();
    std::vector<parent_ds> out;
    auto res = send(reqs);
    for (std::size_t i = 0; i < zones.size(); ++i) {
      if (i < res.size()) {
        out.push_back(ds_from_answer(zones[i], res[i], source));
      } else {
        parent_ds unknown;
        unknown.source = source;
        unknown.reason = "the DS question was not carried out";
        out.push_back(std::move(unknown));
      }
    }
    return out;
  };
}

ds_lookup ds_unavailable(std::string reason) {
  return [reason = std::move(reason)](const std::vector<std::string>& zones) {
    std::vector<parent_ds> out(zones.size());
    for (auto& d : out) d.reason = reason;
    return out;
  };
}

}  // namespace hc::check
