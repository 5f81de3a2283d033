#include "zone/view_diff.hpp"

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

#include "core/dns_text.hpp"

namespace hc::zone {
namespace {

using record = zone_data::record;

// Types whose differences between views say nothing: serials, signatures and signing state.
bool ignored_type(std::uint16_t t) {
  switch (t) {
    case rr_type::soa:
    case rr_type::rrsig:
    case rr_type::nsec:
    case rr_type::nsec3:
    case rr_type::nsec3param:
    case rr_type::dnskey:
    case 59:     // CDS
    case 60:     // CDNSKEY
    case 63:     // ZONEMD
    case 65534:  // BIND's private signing state
      return true;
    default:
      return false;
  }
}

bool is_address(std::uint16_t t) { return t == rr_type::a || t == rr_type::aaaa; }
bool is_txt(std::uint16_t t) { return t == rr_type::txt || t == rr_type::spf; }

// Zone types a view answers from with its own data.
bool served(const bind::zone_decl& z) {
  if (!z.in_view.empty()) return true;
  static const char* const types[] = {"primary", "master", "secondary", "slave", "mirror", "in-view"};
  return std::any_of(std::begin(types), std::end(types), [&](const char* t) { return z.type == t; });
}

// The owner relative to the zone, as a zone file line would write it.
std::string relative(std::string_view owner, std::string_view origin) {
  if (owner == origin) return "@";
  if (origin != "." && owner.size() > origin.size() && owner.substr(owner.size() - origin.size()) == origin)
    return std::string(owner.substr(0, owner.size() - origin.size() - 1));
  return std::string(owner);
}

// The target name of a CNAME/MX/SRV/NS/DNAME rdata, or empty.
std::string_view target_of(std::uint16_t type, std::string_view rdata) {
  std::size_t field = 0;
  switch (type) {
    case rr_type::cname:
    case rr_type::ns:
    case rr_type::dname: field = 0; break;
    case rr_type::mx: field = 1; break;
    case rr_type::srv: field = 3; break;
    default: return {};
  }
  std::size_t pos = 0;
  for (std::size_t i = 0; i < field; ++i) {
    pos = rdata.find(' ', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  std::size_t end = rdata.find(' ', pos);
  return rdata.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

struct type_group {
  std::uint16_t type = 0;
  std::vector<std::string_view> rdata;
};

std::vector<type_group> groups_of(const std::vector<record>& recs) {
  std::vector<type_group> out;
  for (const auto& r : recs) {
    if (ignored_type(r.type)) continue;
    if (out.empty() || out.back().type != r.type) out.push_back({r.type, {}});
    out.back().rdata.push_back(r.rdata);
  }
  return out;
}

std::string join(const std::vector<std::string_view>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out.empty() ? std::string("(none)") : out;
}

std::string join_addrs(const std::vector<ip_address>& v) {
  std::string out;
  for (const auto& a : v) {
    if (!out.empty()) out += ", ";
    out += a.str();
  }
  return out;
}

bool same_rdata(std::uint16_t type, const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  if (a == b) return true;  // both sorted: the same records, whatever their type
  if (!is_txt(type)) return false;
  std::vector<std::string> x, y;
  for (auto s : a) x.push_back(joined_txt(s));
  for (auto s : b) y.push_back(joined_txt(s));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  x.erase(std::unique(x.begin(), x.end()), x.end());
  y.erase(std::unique(y.begin(), y.end()), y.end());
  return x == y;
}

// finding::name of an owner without allocating: display_name's rule (the trailing dot dropped
// unless escaped or the root).
std::string_view display_view(std::string_view name) {
  if (name.size() < 2 || name.back() != '.') return name;
  std::size_t slashes = 0;
  for (std::size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++slashes;
  if (slashes % 2 == 1) return name;
  name.remove_suffix(1);
  return name;
}

// Renders the view diff's compact facts (split names): the zones they refer to are held here.
class diff_renderer final : public compact_renderer {
 public:
  struct zone_pair {
    std::shared_ptr<const zone_data> in, ex;
    std::string zone;  // display name of the origin
  };
  std::vector<zone_pair> pairs;
  std::string in_name, ex_name;

  void render(const compact_finding& c, finding& out) const override {
    const zone_pair& p = pairs[c.source];
    out.kind = c.kind;
    out.sev = c.found_severity();
    out.name.assign(display_view(p.in->name_at(c.a)));
    out.zone = p.zone;
    out.view.assign(in_name).append(",").append(ex_name);
    out.type = rr_type_name(c.type);
    out.service.clear();
    out.path.clear();
    out.address.clear();
    out.count = 0;
    out.names.clear();
    out.accepted = false;
    // As address_policy writes a split: both views' records of the type, no notes.
    out.evidence.assign(in_name).append(": ");
    append_rdata(out.evidence, *p.in, c.a, c.type);
    out.evidence.append("; ").append(ex_name).append(": ");
    append_rdata(out.evidence, *p.ex, c.b, c.type);
    out.fix = "nothing to do";
  }
  std::string_view name_of(const compact_finding& c) const override { return display_view(pairs[c.source].in->name_at(c.a)); }
  std::string_view zone_of(const compact_finding& c) const override { return pairs[c.source].zone; }

 private:
  // join() of the rdata of owner i's records of `type`.
  static void append_rdata(std::string& out, const zone_data& z, std::size_t i, std::uint16_t type) {
    bool any = false;
    for (std::size_t r = z.first_record(i), end = z.end_record(i); r < end; ++r) {
      const auto rec = z.record_at(r);
      if (rec.type != type) continue;
      if (any) out += ", ";
      out += rec.rdata;
      any = true;
    }
    if (!any) out += "(none)";
  }
};

class differ {
 public:
  differ(const zone_set& zones, const bind::config& cfg, const bind::view_decl& in, const bind::view_decl& ex,
         const diff_options& opts)
      : zones_(zones), cfg_(cfg), in_(in), ex_(ex), opts_(opts) {}

  std::vector<finding> run() {
    if (opts_.names) build_filter();
    std::vector<const loaded_zone*> zin, zex;
    for (const auto* z : zones_.zones_of(in_.name))
      if (served(z->decl)) zin.push_back(z);
    for (const auto* z : zones_.zones_of(ex_.name))
      if (served(z->decl)) zex.push_back(z);
    auto find_in = [](const std::vector<const loaded_zone*>& v, const std::string& name) -> const loaded_zone* {
      std::string key = canonical_name(name);
      for (const auto* z : v)
        if (canonical_name(z->decl.name) == key) return z;
      return nullptr;
    };
    // Each view's own checks run beside the comparison (results merged and sorted at the end).
    std::vector<finding> side_in, side_ex;
    auto own_checks = [this](const std::vector<const loaded_zone*>& zs, const bind::view_decl& view,
                             std::vector<finding>& out, bool with_leaks) {
      differ sub(zones_, cfg_, in_, ex_, opts_);  // own findings; the filter is shared, read-only
      sub.filter_ = filter_;
      sub.out_ = &out;
      for (const auto* z : zs)
        if (z->data) {
          sub.dangling(*z, view, zs);
          if (with_leaks) sub.leaks(*z);
        }
      sub.flush_dangling(view);
      sub.cname_loops(view, zs);
    };
    auto in_task = std::async(std::launch::async, [&] { own_checks(zin, in_, side_in, false); });
    auto ex_task = std::async(std::launch::async, [&] { own_checks(zex, ex_, side_ex, true); });
    for (const auto* zi : zin) {
      const loaded_zone* ze = find_in(zex, zi->decl.name);
      if (!ze) {
        zone_missing(*zi, in_, ex_);
        continue;
      }
      if (zi->data && ze->data) compare_zone(*zi, *ze);
    }
    for (const auto* ze : zex)
      if (!find_in(zin, ze->decl.name)) zone_missing(*ze, ex_, in_);
    in_task.get();
    ex_task.get();
    reserve(side_in.size() + side_ex.size());
    out_->insert(out_->end(), std::make_move_iterator(side_in.begin()), std::make_move_iterator(side_in.end()));
    out_->insert(out_->end(), std::make_move_iterator(side_ex.begin()), std::make_move_iterator(side_ex.end()));
    if (opts_.sorted)
      sort_findings(*out_, [](const finding& a, const finding& b) {
        return std::tie(a.zone, a.name, a.type, a.kind, a.view, a.evidence) <
               std::tie(b.zone, b.name, b.type, b.kind, b.view, b.evidence);
      });
    return std::move(*out_);
  }

 private:
  bool wanted(std::string_view owner) const { return !filter_ || filter_->count(std::string(owner)) > 0; }

  // Checked names, then whatever their CNAME/MX/SRV records lead to, in either view.
  void build_filter() {
    auto filter = std::make_shared<std::unordered_set<std::string>>();
    build_filter(*filter);
    filter_ = std::move(filter);
  }

  void build_filter(std::unordered_set<std::string>& names) {
    // names: what is checked so far
    std::vector<std::string> queue;
    for (const auto& n : *opts_.names) {
      std::string c = canonical_name(n);
      if (names.insert(c).second) queue.push_back(c);
    }
    for (std::size_t qi = 0; qi < queue.size() && qi < 100000; ++qi) {
      std::string n = queue[qi];
      for (const auto* v : {&in_, &ex_}) {
        const zone_data* z = zones_.best_zone(v->name, n);
        if (!z) continue;
        std::string at = n;
        if (!z->find_name(n))
          if (auto w = z->wildcard_for(n)) {
            at = *w;
            if (names.insert(at).second) queue.push_back(at);
          }
        for (std::uint16_t t : {rr_type::cname, rr_type::mx, rr_type::srv})
          for (const auto& r : z->lookup(at, t)) {
            std::string target(target_of(t, r));
            if (target.empty() || target == ".") continue;
            if (names.insert(target).second) queue.push_back(target);
          }
      }
    }
  }

  bool covered(const ip_address& a) const {
    if (opts_.internal_clients) return opts_.internal_clients(a);
    return bind::matches(cfg_, in_.match_clients, a, opts_.host);
  }

  std::string both_views() const { return in_.name + "," + ex_.name; }

  finding make(finding_kind kind, severity sev, std::string_view owner, std::string_view zone, std::string view,
               std::uint16_t type) {
    finding f;
    f.kind = kind;
    f.sev = sev;
    f.name = display_name(owner);
    f.zone = display_name(zone);
    f.view = std::move(view);
    if (type) f.type = rr_type_name(type);
    return f;
  }

  void zone_missing(const loaded_zone& z, const bind::view_decl& has, const bind::view_decl& lacks) {
    if (filter_) {
      std::string origin = canonical_name(z.decl.name);
      bool any = std::any_of(filter_->begin(), filter_->end(), [&](const std::string& n) {
        return n == origin || (n.size() > origin.size() && n.compare(n.size() - origin.size(), origin.size(), origin) == 0 &&
                               n[n.size() - origin.size() - 1] == '.');
      });
      if (!any) return;
    }
    finding f = make(finding_kind::zone_missing, severity::warning, z.decl.name, z.decl.name, has.name, 0);
    f.name.clear();
    std::string type = z.decl.type.empty() ? std::string("in-view") : z.decl.type;
    f.evidence = fmt::format("{}: zone {} ({}{}{}); {}: not served", has.name, display_name(z.decl.name), type,
                             z.decl.file.empty() ? "" : ", ", z.decl.file, lacks.name);
    f.fix = fmt::format("add zone \"{}\" to view \"{}\" in {} (or remove it from view \"{}\" if only {} clients may see it)",
                        display_name(z.decl.name), lacks.name, cfg_.file.empty() ? std::string("named.conf") : cfg_.file,
                        has.name, has.name);
    out_->push_back(std::move(f));
  }

  const std::string& file_of(const loaded_zone& z) const { return z.decl.file; }

  // Room for `more` findings. Real zones can have a finding for most names (every split name), and
  // growing a vector of them by doubling holds the old and the new copy at once; room reserved
  // ahead is address space only until findings are written into it.
  void reserve(std::size_t more) {
    const std::size_t want = out_->size() + more;
    if (out_->capacity() < want) out_->reserve(std::max(want, out_->capacity() * 2));
  }

  void compare_zone(const loaded_zone& li, const loaded_zone& le) {
    const zone_data& zi = *li.data;
    const zone_data& ze = *le.data;
    std::size_t i = 0, e = 0;
    const std::size_t ni = zi.name_count(), ne = ze.name_count();
    std::uint32_t pair = 0;
    if (renderer_) {
      pair = static_cast<std::uint32_t>(renderer_->pairs.size());
      renderer_->pairs.push_back({li.data, le.data, display_name(zi.origin())});
      const std::size_t want = facts_->size() + std::max(ni, ne);
      if (facts_->capacity() < want) facts_->reserve(std::max(want, facts_->capacity() * 2));
    } else {
      reserve(std::max(ni, ne) + 64);
    }
    while (i < ni || e < ne) {
      int c;
      if (i >= ni) c = 1;
      else if (e >= ne) c = -1;
      else {
        const int k = zi.name_at(i).compare(ze.name_at(e));  // one comparison, not a < b and b < a
        c = k < 0 ? -1 : (k > 0 ? 1 : 0);
      }
      if (c == 0) {
        std::string_view owner = zi.name_at(i);
        if (wanted(owner) && !same_records(zi, i, ze, e)) {
          at_ = {pair, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(e), true};
          compare_owner(li, le, owner, zi.records_at(i), ze.records_at(e));
          at_.set = false;
        }
        ++i;
        ++e;
      } else if (c < 0) {
        std::string_view owner = zi.name_at(i);
        if (wanted(owner)) one_sided(li, le, owner, zi.records_at(i), zi, ze, true);
        ++i;
      } else {
        std::string_view owner = ze.name_at(e);
        if (wanted(owner)) one_sided(li, le, owner, ze.records_at(e), ze, zi, false);
        ++e;
      }
    }
  }

  // Same types and rdata at both owners (TTLs aside): the common case, decided without allocating.
  static bool same_records(const zone_data& a, std::size_t i, const zone_data& b, std::size_t j) {
    std::size_t ab = a.first_record(i), ae = a.end_record(i);
    std::size_t bb = b.first_record(j), be = b.end_record(j);
    if (ae - ab != be - bb) return false;
    for (; ab < ae; ++ab, ++bb) {
      auto x = a.record_at(ab), y = b.record_at(bb);
      if (x.type != y.type || x.rdata != y.rdata) return false;
    }
    return true;
  }

  // An owner that only one view's zone holds.
  void one_sided(const loaded_zone& li, const loaded_zone& le, std::string_view owner, const std::vector<record>& recs,
                 const zone_data& has, const zone_data& other, bool internal_has) {
    auto groups = groups_of(recs);
    if (groups.empty()) return;
    if (other.below_cut(owner)) return;  // delegated away in the other view: not comparable here
    if (auto w = other.wildcard_for(owner)) {
      // The other view answers from its wildcard: compare with that.
      auto wi = other.find_name(*w);
      auto wrecs = other.records_at(*wi);
      if (internal_has) compare_owner(li, le, owner, recs, wrecs, true);
      else compare_owner(li, le, owner, wrecs, recs, true);
      return;
    }
    (void)has;
    std::string types, data;
    for (const auto& g : groups) {
      if (!types.empty()) types += ", ";
      types += rr_type_name(g.type);
      if (!data.empty()) data += "; ";
      data += rr_type_name(g.type) + " " + join(g.rdata);
    }
    const auto& origin = li.data->origin();
    std::string rel = relative(owner, origin);
    if (internal_has) {
      finding f = make(finding_kind::intra_only, severity::info, owner, origin, in_.name, groups.size() == 1 ? groups[0].type : 0);
      f.evidence = fmt::format("{}: {}; {}: (none)", in_.name, data, ex_.name);
      f.fix = fmt::format("nothing to do if {} is for LAN clients only; to publish it, add it to {} (view {})",
                          display_name(owner), file_of(le), ex_.name);
      out_->push_back(std::move(f));
    } else {
      finding f = make(finding_kind::extra_only, severity::warning, owner, origin, ex_.name, groups.size() == 1 ? groups[0].type : 0);
      f.evidence = fmt::format("{}: (none); {}: {}", in_.name, ex_.name, data);
      f.fix = fmt::format("add {} to {} (view {}){}", suggestion(rel, groups), file_of(li), in_.name,
                          std::any_of(groups.begin(), groups.end(), [](const type_group& g) { return is_address(g.type); })
                              ? ", with the internal address for LAN clients"
                              : "");
      out_->push_back(std::move(f));
    }
  }

  // Zone file lines for the internal zone, with NAT-mapped internal addresses when known.
  std::string suggestion(const std::string& rel, const std::vector<type_group>& groups) {
    std::string out;
    for (const auto& g : groups)
      for (auto r : g.rdata) {
        std::string rd(r);
        if (is_address(g.type) && opts_.nat)
          if (auto a = ip_address::parse(r))
            if (auto m = opts_.nat(*a); m && !m->empty()) rd = m->front().str();
        if (!out.empty()) out += ", ";
        out += fmt::format("\"{} IN {} {}\"", rel, rr_type_name(g.type), rd);
      }
    return out;
  }

  void compare_owner(const loaded_zone& li, const loaded_zone& le, std::string_view owner, const std::vector<record>& ri,
                     const std::vector<record>& re, bool via_wildcard = false) {
    auto gi = groups_of(ri), ge = groups_of(re);
    const auto& origin = li.data->origin();
    auto has = [](const std::vector<type_group>& g, std::uint16_t t) {
      return std::find_if(g.begin(), g.end(), [t](const type_group& x) { return x.type == t; });
    };
    bool ci = has(gi, rr_type::cname) != gi.end(), ce = has(ge, rr_type::cname) != ge.end();
    if (ci != ce && !gi.empty() && !ge.empty()) {
      auto describe = [](const std::vector<type_group>& g) {
        std::string s;
        for (const auto& x : g) {
          if (!s.empty()) s += "; ";
          s += rr_type_name(x.type) + " " + join(x.rdata);
        }
        return s;
      };
      finding f = make(finding_kind::disagree, severity::critical, owner, origin, both_views(), rr_type::cname);
      f.evidence = fmt::format("{}: {}; {}: {}", in_.name, describe(gi), ex_.name, describe(ge));
      f.fix = fmt::format("use a CNAME in both views or in neither: change {} in {} or in {}", relative(owner, origin),
                          file_of(li), file_of(le));
      out_->push_back(std::move(f));
      return;
    }
    // The types of both sides, ascending and once each (an owner has a few: no std::set's nodes).
    std::vector<std::uint16_t> types;
    types.reserve(gi.size() + ge.size());
    for (const auto& g : gi) types.push_back(g.type);
    for (const auto& g : ge) types.push_back(g.type);
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    for (std::uint16_t t : types) {
      auto a = has(gi, t), b = has(ge, t);
      if (a == gi.end() || b == ge.end()) {
        if (via_wildcard) continue;  // a wildcard answers only the types it has
        const auto& g = a == gi.end() ? *b : *a;
        std::vector<type_group> one{g};
        std::string rel = relative(owner, origin);
        if (a == gi.end()) {
          finding f = make(finding_kind::extra_only, severity::warning, owner, origin, ex_.name, t);
          f.evidence = fmt::format("{}: (none); {}: {}", in_.name, ex_.name, join(g.rdata));
          f.fix = fmt::format("add {} to {} (view {})", suggestion(rel, one), file_of(li), in_.name);
          out_->push_back(std::move(f));
        } else {
          finding f = make(finding_kind::intra_only, severity::info, owner, origin, in_.name, t);
          f.evidence = fmt::format("{}: {}; {}: (none)", in_.name, join(g.rdata), ex_.name);
          f.fix = fmt::format("nothing to do if the {} of {} is for LAN clients only; else add it to {} (view {})",
                              rr_type_name(t), display_name(owner), file_of(le), ex_.name);
          out_->push_back(std::move(f));
        }
        continue;
      }
      if (same_rdata(t, a->rdata, b->rdata)) continue;
      if (is_address(t)) {
        address_policy(li, le, owner, t, a->rdata, b->rdata);
        continue;
      }
      finding f = make(finding_kind::disagree, severity::critical, owner, origin, both_views(), t);
      f.evidence = fmt::format("{}: {}; {}: {}", in_.name, join(a->rdata), ex_.name, join(b->rdata));
      f.fix = fmt::format("make the {} records of {} the same in {} and {}", rr_type_name(t), relative(owner, origin),
                          file_of(li), file_of(le));
      out_->push_back(std::move(f));
    }
  }

  // A/AAAA that differ: a split is expected when LAN clients get an address of their own network,
  // or the one the router DNATs the public address to.
  void address_policy(const loaded_zone& li, const loaded_zone& le, std::string_view owner, std::uint16_t type,
                      const std::vector<std::string_view>& ri, const std::vector<std::string_view>& re) {
    std::vector<ip_address> I, E;
    for (auto s : ri)
      if (auto a = ip_address::parse(s)) I.push_back(*a);
    for (auto s : re)
      if (auto a = ip_address::parse(s)) E.push_back(*a);
    auto in = [](const std::vector<ip_address>& v, const ip_address& a) { return std::find(v.begin(), v.end(), a) != v.end(); };
    std::vector<std::optional<std::vector<ip_address>>> mapped;
    bool nat_given = false;
    for (const auto& e : E) {
      mapped.push_back(opts_.nat ? opts_.nat(e) : std::nullopt);
      nat_given = nat_given || mapped.back().has_value();
    }
    bool via_nat = false, unexplained = false;
    std::vector<std::string> notes;
    for (const auto& i : I) {
      if (in(E, i)) continue;
      bool ok = false, elsewhere = false;
      for (std::size_t k = 0; k < E.size(); ++k) {
        if (!mapped[k]) continue;
        if (in(*mapped[k], i)) {
          ok = true;
          via_nat = true;
          notes.push_back(fmt::format("NAT: {} → {}", E[k].str(), i.str()));
        } else if (!mapped[k]->empty()) {
          elsewhere = true;
        }
      }
      if (!ok && !elsewhere && (covered(i) || (opts_.split_inside && opts_.split_inside(i)))) ok = true;
      if (!ok) {
        unexplained = true;
        if (elsewhere) notes.push_back(fmt::format("{} is not where the router DNATs the public address", i.str()));
        else if (opts_.split_inside)
          notes.push_back(fmt::format("{} is not {} (view {} is selected by TSIG key)", i.str(), opts_.inside_means, in_.name));
        else
          notes.push_back(fmt::format("{} is outside {}'s match-clients", i.str(), in_.name));
      }
    }
    for (std::size_t k = 0; k < E.size(); ++k) {
      if (in(I, E[k]) || !mapped[k] || mapped[k]->empty()) continue;
      if (!std::any_of(mapped[k]->begin(), mapped[k]->end(), [&](const ip_address& m) { return in(I, m); })) {
        unexplained = true;
        notes.push_back(fmt::format("NAT: {} → {}", E[k].str(), join_addrs(*mapped[k])));
      }
    }
    const auto& origin = li.data->origin();
    finding_kind kind = unexplained ? finding_kind::disagree : (via_nat ? finding_kind::split_via_nat : finding_kind::split);
    severity sev = unexplained ? severity::critical : severity::info;
    if (kind == finding_kind::split && renderer_ && at_.set && at_.a < zone_data_limit && at_.b < zone_data_limit) {
      // The bulk kind of real zones: a compact fact, rendered by diff_renderer as below.
      compact_finding c;
      c.source = at_.pair;
      c.a = at_.a;
      c.b = at_.b;
      c.type = type;
      c.kind = kind;
      c.sev = static_cast<std::uint8_t>(sev);
      facts_->push_back(c);
      return;
    }
    finding f = make(kind, sev, owner, origin, both_views(), type);
    f.evidence = fmt::format("{}: {}; {}: {}", in_.name, join(ri), ex_.name, join(re));
    std::sort(notes.begin(), notes.end());
    notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
    for (const auto& n : notes) f.evidence += "; " + n;
    std::string rel = relative(owner, origin);
    if (!unexplained) {
      // The hot kinds of real zones (half the names can be split): a fix that fits in the string
      // itself (no allocation); docs/findings.md says what split and split-via-nat mean.
      f.fix = "nothing to do";
    } else {
      std::string want;
      for (std::size_t k = 0; k < E.size(); ++k)
        if (mapped[k] && !mapped[k]->empty()) want = mapped[k]->front().str();
      if (!want.empty())
        f.fix = fmt::format("set \"{} IN {} {}\" in {} (the DNAT target of the public address), or fix the DNAT", rel,
                            rr_type_name(type), want, file_of(li));
      else
        f.fix = fmt::format("make the {} records of {} the same in {} and {}, or use an address of the LAN", rr_type_name(type),
                            rel, file_of(li), file_of(le));
    }
    (void)nat_given;
    out_->push_back(std::move(f));
  }

  void leaks(const loaded_zone& lz) {
    const zone_data& z = *lz.data;
    for (std::size_t i = 0; i < z.name_count(); ++i) {
      std::string_view owner = z.name_at(i);
      if (!wanted(owner)) continue;
      for (std::size_t k = z.first_record(i); k < z.end_record(i); ++k) {
        auto r = z.record_at(k);
        if (!is_address(r.type)) continue;
        auto a = ip_address::parse(r.rdata);
        if (!a || !covered(*a)) continue;
        finding f = make(finding_kind::leak, severity::critical, owner, z.origin(), ex_.name, r.type);
        f.evidence = fmt::format("{}: {}, inside the match-clients of view {}", ex_.name, r.rdata, in_.name);
        f.fix = fmt::format("remove \"{} IN {} {}\" from {} and publish the public address that is DNAT'd to it",
                            relative(owner, z.origin()), rr_type_name(r.type), r.rdata, file_of(lz));
        out_->push_back(std::move(f));
      }
    }
  }

  // One missing target of a view and every record that points at it: one finding per cause.
  struct dangling_cause {
    std::string target;               // canonical
    const zone_data* target_zone = nullptr;
    const loaded_zone* referrer = nullptr;  // of the example record, for the fix's file fallback
    std::string example_owner;        // the least referring owner (canonical) and its record
    std::string example_shown;        // its display name: names.front() in the end
    std::uint16_t example_type = 0;
    std::string example_rdata;
    std::string example_origin;
    std::vector<std::string> names;   // display names of every referring owner
    std::size_t records = 0;
    std::set<std::uint16_t> types;
  };

  void dangling(const loaded_zone& lz, const bind::view_decl& view, const std::vector<const loaded_zone*>& view_zones) {
    const zone_data& z = *lz.data;
    // Only when the view serves a zone below this one can an in-zone target belong to another zone.
    bool has_children = std::any_of(view_zones.begin(), view_zones.end(), [&](const loaded_zone* o) {
      return o->data && o->data != lz.data && z.contains(o->data->origin());
    });
    for (std::size_t i = 0; i < z.name_count(); ++i) {
      std::string_view owner = z.name_at(i);
      if (!wanted(owner)) continue;
      for (std::size_t k = z.first_record(i); k < z.end_record(i); ++k) {
        auto r = z.record_at(k);
        if (r.type != rr_type::cname && r.type != rr_type::mx && r.type != rr_type::srv && r.type != rr_type::ns) continue;
        std::string_view target = target_of(r.type, r.rdata);
        if (target.empty() || target == ".") continue;
        // A target already known to be missing in this view (one missing host is often shared by
        // thousands of records): no lookups again.
        auto it = dangling_.find(target);
        if (it == dangling_.end()) {
          const zone_data* tz = &z;
          if (!z.contains(target)) {
            tz = zones_.best_zone(view.name, target);
            if (!tz) continue;  // not served by this view: not ours to check
          } else if (has_children) {
            if (const zone_data* deeper = zones_.best_zone(view.name, target)) tz = deeper;
          }
          if (tz->below_cut(target)) continue;
          if (tz->has_name(target) || tz->wildcard_for(target)) continue;
          it = dangling_.emplace(std::string(target), dangling_cause{}).first;
          it->second.target = std::string(target);
          it->second.target_zone = tz;
        }
        dangling_cause& c = it->second;
        ++c.records;
        c.types.insert(r.type);
        // An owner's records are together: one name per owner unless two zones refer.
        std::string shown = display_name(owner);
        if (c.example_owner.empty() || shown < c.example_shown) {
          c.example_shown = shown;
          c.example_owner = std::string(owner);
          c.example_type = r.type;
          c.example_rdata = std::string(r.rdata);
          c.example_origin = z.origin();
          c.referrer = &lz;
        }
        if (c.names.empty() || c.names.back() != shown) c.names.push_back(std::move(shown));
      }
    }
  }

  // The dangling-target findings of one view: one per missing target, with every referring name.
  void flush_dangling(const bind::view_decl& view) {
    for (auto& [key, c] : dangling_) {
      std::sort(c.names.begin(), c.names.end());
      c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
      const std::uint16_t type = c.types.size() == 1 ? *c.types.begin() : 0;
      finding f = make(finding_kind::dangling_target, severity::warning, c.example_owner, c.target_zone->origin(),
                       view.name, type);
      f.name = c.names.front();
      f.evidence = fmt::format("{}: {} {} {}, and {} does not exist in view {}", view.name, display_name(c.example_owner),
                               rr_type_name(c.example_type), c.example_rdata, display_name(c.target), view.name);
      const std::size_t more = c.names.size() - 1;
      if (more > 0) {
        std::string types;
        for (auto t : c.types) types += (types.empty() ? "" : "/") + rr_type_name(t);
        f.evidence += fmt::format("; {} {} records of {} names point at it", c.records, types, c.names.size());
      }
      const loaded_zone* tl = zones_.entry(view.name, c.target_zone->origin());
      const std::string& file = tl ? tl->decl.file : c.referrer->decl.file;
      if (more == 0)
        f.fix = fmt::format("add {} to {} (view {}), or point the {} of {} at a name that exists",
                            relative(c.target, c.target_zone->origin()), file, view.name, rr_type_name(c.example_type),
                            relative(c.example_owner, c.example_origin));
      else
        f.fix = fmt::format("add {} to {} (view {}), or point the records of these {} names at a name that exists",
                            relative(c.target, c.target_zone->origin()), file, view.name, c.names.size());
      f.count = c.names.size();
      f.names = std::move(c.names);
      out_->push_back(std::move(f));
    }
    dangling_.clear();
  }

  // One step of a CNAME chain as the plan follows it from a view: the name answered by the view
  // when it serves a zone for it, else (from the internal view) by the external view, which is what
  // the public delegation answers.
  struct cname_step {
    std::optional<std::string> target;  // the CNAME target (canonical), or none: the chain ends
    const bind::view_decl* view = nullptr;
    const zone_data* zone = nullptr;
  };

  cname_step cname_of(const bind::view_decl& from, const std::string& name) const {
    const bind::view_decl* v = &from;
    const zone_data* z = zones_.best_zone(v->name, name);
    if (!z && v == &in_) {
      v = &ex_;
      z = zones_.best_zone(v->name, name);
    }
    if (!z || z->below_cut(name)) return {};
    std::optional<std::string> target;
    if (z->has_name(name))
      target = z->find_cname(name);
    else if (auto w = z->wildcard_for(name))
      target = z->find_cname(*w);
    if (target && canonical_name(*target) != *target) target = canonical_name(*target);
    return {std::move(target), v, z};
  }

  // CNAME chains that come back to a name already on them (a → b → a, a → a), followed within the
  // view and, from the internal view, into the external view for names it does not serve. One
  // finding per loop, named by its least member, whichever CNAME led into it.
  void cname_loops(const bind::view_decl& view, const std::vector<const loaded_zone*>& view_zones) {
    constexpr std::size_t max_hops = 64;  // resolvers give up well before
    std::set<std::vector<std::string>> seen;
    for (const auto* lz : view_zones) {
      if (!lz->data) continue;
      const zone_data& z = *lz->data;
      for (std::size_t i = 0; i < z.name_count(); ++i) {
        std::string_view owner = z.name_at(i);
        if (!wanted(owner) || !z.has_type(i, rr_type::cname)) continue;
        std::vector<std::string> chain{std::string(owner)};
        std::vector<cname_step> steps;
        std::optional<std::size_t> loop_at;
        while (chain.size() <= max_hops) {
          cname_step step = cname_of(view, chain.back());
          if (!step.target) break;
          steps.push_back(step);
          const auto again = static_cast<std::size_t>(std::find(chain.begin(), chain.end(), *step.target) - chain.begin());
          chain.push_back(*step.target);
          if (again + 1 < chain.size()) {
            loop_at = again;
            break;
          }
        }
        if (!loop_at) continue;
        // The loop's members from its least one, so every entry into it gives the same key.
        std::vector<std::string> cycle(chain.begin() + static_cast<std::ptrdiff_t>(*loop_at), chain.end() - 1);
        std::vector<cname_step> cycle_steps(steps.begin() + static_cast<std::ptrdiff_t>(*loop_at), steps.end());
        auto least = static_cast<std::size_t>(std::min_element(cycle.begin(), cycle.end()) - cycle.begin());
        std::rotate(cycle.begin(), cycle.begin() + static_cast<std::ptrdiff_t>(least), cycle.end());
        std::rotate(cycle_steps.begin(), cycle_steps.begin() + static_cast<std::ptrdiff_t>(least), cycle_steps.end());
        bool crosses = std::any_of(cycle_steps.begin(), cycle_steps.end(), [&](const cname_step& s) { return s.view != &view; });
        bool only_other = std::all_of(cycle_steps.begin(), cycle_steps.end(), [&](const cname_step& s) { return s.view != &view; });
        if (only_other) continue;  // a loop of the other view alone: that view reports it
        if (!seen.insert(cycle).second) continue;

        std::string text;
        for (std::size_t k = 0; k < cycle.size(); ++k) {
          if (crosses) text += cycle_steps[k].view->name + ": ";
          text += display_name(cycle[k]) + " → ";
        }
        text += display_name(cycle.front());
        std::string files;
        for (const auto& st : cycle_steps) {
          const loaded_zone* l = zones_.entry(st.view->name, st.zone->origin());
          std::string f = l ? l->decl.file : std::string();
          if (!f.empty() && files.find(f) == std::string::npos) files += (files.empty() ? "" : ", ") + f;
        }
        const zone_data* first_zone = cycle_steps.front().zone;
        finding f = make(finding_kind::cname_loop, severity::warning, cycle.front(), first_zone->origin(),
                         crosses ? both_views() : view.name, rr_type::cname);
        f.evidence = fmt::format("{}: the CNAME chain loops: {}", crosses ? both_views() : view.name, text);
        if (cycle.size() == 1)
          f.fix = fmt::format("point the CNAME of {} at another name, or replace it with the records it should have ({})",
                              relative(cycle.front(), first_zone->origin()), files);
        else
          f.fix = fmt::format("end the chain: one of these CNAMEs must point at a name with addresses ({})", files);
        out_->push_back(std::move(f));
      }
    }
  }

  const zone_set& zones_;
  const bind::config& cfg_;
  const bind::view_decl& in_;
  const bind::view_decl& ex_;
  const diff_options& opts_;
  std::shared_ptr<const std::unordered_set<std::string>> filter_;
  std::vector<finding> own_;
  std::vector<finding>* out_ = &own_;

 public:
  // Compact mode (diff_views_compact): split findings go to facts_, their zones to renderer_.
  std::shared_ptr<diff_renderer> renderer_;
  std::vector<compact_finding>* facts_ = nullptr;

 private:
  static constexpr std::size_t zone_data_limit = 0xffffffffu;
  struct owner_at {
    std::uint32_t pair = 0, a = 0, b = 0;
    bool set = false;
  } at_;  // the owner compare_zone is comparing (both views' indices), for compact facts
  std::map<std::string, dangling_cause, std::less<>> dangling_;  // by canonical target
};

}  // namespace

std::string joined_txt(std::string_view rdata) {
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < rdata.size(); ++i) {
    char c = rdata[i];
    if (c == '\\' && i + 1 < rdata.size()) {
      out += c;
      out += rdata[++i];
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (quoted) out += c;
  }
  return out;
}

std::vector<finding> diff_views(const zone_set& zones, const bind::config& cfg, const bind::view_decl& internal,
                                const bind::view_decl& external, const diff_options& opts) {
  return differ(zones, cfg, internal, external, opts).run();
}

compact_diff diff_views_compact(const zone_set& zones, const bind::config& cfg, const bind::view_decl& internal,
                                const bind::view_decl& external, const diff_options& opts) {
  diff_options o = opts;
  o.sorted = false;
  compact_diff out;
  auto renderer = std::make_shared<diff_renderer>();
  renderer->in_name = internal.name;
  renderer->ex_name = external.name;
  differ d(zones, cfg, internal, external, o);
  d.renderer_ = renderer;
  d.facts_ = &out.compact.facts;
  out.findings = d.run();
  out.compact.facts.shrink_to_fit();
  if (!out.compact.facts.empty()) out.compact.renderer = std::move(renderer);
  return out;
}

}  // namespace hc::zone
