#include <doctest/doctest.h>

#include "print_vector.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "zone/view_diff.hpp"

using namespace hc::zone;
using V = std::vector<std::string>;

namespace {

const std::string diff_dir = std::string(HC_TEST_DATA) + "/zones/diff";

hc::bind::address_match_element prefix(const char* text) {
  hc::bind::address_match_element e;
  e.what = hc::bind::address_match_element::kind::prefix;
  e.prefix = *hc::ip_prefix::parse(text);
  e.text = text;
  return e;
}

hc::bind::zone_decl zone(const std::string& name, const std::string& file) {
  hc::bind::zone_decl z;
  z.name = name;
  z.type = "primary";
  z.file = file;
  return z;
}

// Views intra (198.18.1.0/24) and extra (any) serving example.net from <pair>.intra / <pair>.extra.
hc::bind::config two_views(const std::string& intra_file, const std::string& extra_file) {
  hc::bind::config cfg;
  cfg.file = "named.conf";
  cfg.options.directory = diff_dir;
  hc::bind::view_decl intra, extra;
  intra.name = "intra";
  intra.match_clients.elements.push_back(prefix("198.18.1.0/24"));
  extra.name = "extra";
  hc::bind::address_match_element any;
  any.what = hc::bind::address_match_element::kind::any;
  any.text = "any";
  extra.match_clients.elements.push_back(any);
  intra.zones.push_back(zone("example.net", intra_file));
  extra.zones.push_back(zone("example.net", extra_file));
  cfg.views = {intra, extra};
  return cfg;
}

hc::bind::config pair(const std::string& name) {
  return two_views(diff_dir + "/" + name + ".intra", diff_dir + "/" + name + ".extra");
}

// The name relative to its zone, for short expectations ("mail.example.net" → "mail").
std::string short_name(const hc::finding& f) {
  std::string suffix = "." + f.zone;
  if (f.name.size() > suffix.size() && f.name.compare(f.name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return f.name.substr(0, f.name.size() - suffix.size());
  return f.name;
}

// "kind name type view" per finding, sorted.
V summary(const std::vector<hc::finding>& fs) {
  V out;
  for (const auto& f : fs) out.push_back(std::string(hc::name(f.kind)) + " " + short_name(f) + " " + f.type + " " + f.view);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<hc::finding> run(const hc::bind::config& cfg, const diff_options& opts = {}) {
  hc::diagnostics d;
  auto zones = load_zones(cfg, d);
  for (const auto& x : d.all()) CAPTURE(x.str());
  REQUIRE_FALSE(d.has_errors());
  return diff_views(zones, cfg, cfg.views[0], cfg.views[1], opts);
}

const hc::finding* find(const std::vector<hc::finding>& fs, const std::string& kind, const std::string& name) {
  for (const auto& f : fs)
    if (hc::name(f.kind) == kind && short_name(f) == name) return &f;
  return nullptr;
}

nat_lookup nat_map(std::map<std::string, V> m) {
  return [m](const hc::ip_address& a) -> std::optional<std::vector<hc::ip_address>> {
    std::vector<hc::ip_address> out;
    auto it = m.find(a.str());
    if (it != m.end())
      for (const auto& s : it->second) out.push_back(*hc::ip_address::parse(s));
    return out;
  };
}

}  // namespace

TEST_CASE("view diff: a clean split-horizon pair") {
  auto cfg = pair("basic");
  SUBCASE("without NAT rules: split and intra-only, both info") {
    auto fs = run(cfg);
    CHECK(summary(fs) == V{"intra-only lanonly A intra", "split mail A intra,extra", "split ns A intra,extra",
                           "split web A intra,extra"});
    const auto* mail = find(fs, "split", "mail");
    REQUIRE(mail);
    CHECK(mail->evidence == "intra: 198.18.1.20; extra: 203.0.113.2");
    CHECK(mail->zone == "example.net");
    CHECK(mail->sev == hc::severity::info);
    CHECK_FALSE(mail->fix.empty());
    CHECK(find(fs, "intra-only", "lanonly")->evidence == "intra: A 198.18.1.30; extra: (none)");
  }
  SUBCASE("with NAT rules that map the public addresses to the internal ones: split-via-nat") {
    diff_options o;
    o.nat = nat_map({{"203.0.113.1", {"198.18.1.53", "198.18.1.10"}}, {"203.0.113.2", {"198.18.1.20"}}});
    auto fs = run(cfg, o);
    CHECK(summary(fs) == V{"intra-only lanonly A intra", "split-via-nat mail A intra,extra",
                           "split-via-nat ns A intra,extra", "split-via-nat web A intra,extra"});
    CHECK(find(fs, "split-via-nat", "mail")->evidence == "intra: 198.18.1.20; extra: 203.0.113.2; NAT: 203.0.113.2 → 198.18.1.20");
  }
  SUBCASE("NAT rules that send the public address elsewhere: disagree") {
    diff_options o;
    o.nat = nat_map({{"203.0.113.1", {"198.18.1.53", "198.18.1.10"}}, {"203.0.113.2", {"198.18.1.99"}}});
    auto fs = run(cfg, o);
    const auto* mail = find(fs, "disagree", "mail");
    REQUIRE(mail);
    CHECK(mail->sev == hc::severity::critical);
    CHECK(mail->fix.find("198.18.1.99") != std::string::npos);
  }
  SUBCASE("NAT callback that knows no rules (nullopt) behaves as no NAT rules") {
    diff_options o;
    o.nat = [](const hc::ip_address&) { return std::optional<std::vector<hc::ip_address>>(); };
    CHECK(summary(run(cfg, o)) == summary(run(cfg)));
  }
  SUBCASE("name filter: a checked name and what its CNAME leads to") {
    diff_options o;
    o.names = V{"www.example.net"};
    CHECK(summary(run(cfg, o)) == V{"split web A intra,extra"});
    o.names = V{"lanonly.example.net."};
    CHECK(summary(run(cfg, o)) == V{"intra-only lanonly A intra"});
    o.names = V{"nothing.example.net"};
    CHECK(run(cfg, o).empty());
  }
}

TEST_CASE("view diff: every fault kind, and look-alikes that are none") {
  auto cfg = pair("faults");
  cfg.views[0].zones.push_back(zone("corp.example", diff_dir + "/corp.example"));
  auto fs = run(cfg);
  CHECK(summary(fs) == V{
                           "dangling-target dangle CNAME extra",
                           "dangling-target dangle CNAME intra",
                           "disagree alias CNAME intra,extra",
                           "disagree bar.wild A intra,extra",
                           "disagree caa CAA intra,extra",
                           "disagree pub A intra,extra",
                           "extra-only printer A extra",
                           "extra-only public A extra",
                           "leak printer A extra",
                           "split backup A intra,extra",
                           "split mail A intra,extra",
                           "split ns A intra,extra",
                           "split web A intra,extra",
                           "zone-missing   intra",
                       });
  SUBCASE("severities follow the contract") {
    std::map<std::string, hc::severity> want{{"dangling-target", hc::severity::warning}, {"disagree", hc::severity::critical},
                                             {"extra-only", hc::severity::warning},      {"leak", hc::severity::critical},
                                             {"split", hc::severity::info},              {"zone-missing", hc::severity::warning}};
    for (const auto& f : fs) {
      CAPTURE(f.kind);
      CHECK(f.sev == want.at(std::string(hc::name(f.kind))));
      CHECK_FALSE(f.evidence.empty());
      CHECK_FALSE(f.fix.empty());
      CHECK_FALSE(f.zone.empty());
    }
  }
  SUBCASE("evidence shows both sides, fixes name the zone file") {
    const auto* alias = find(fs, "disagree", "alias");
    CHECK(alias->evidence == "intra: A 198.18.1.40; extra: CNAME mail.example.net.");
    const auto* caa = find(fs, "disagree", "caa");
    CHECK(caa->evidence == "intra: 0 issue \"letsencrypt.org\"; extra: 0 issue \"pki.goog\"");
    CHECK(caa->fix.find(diff_dir + "/faults.intra") != std::string::npos);
    const auto* leak = find(fs, "leak", "printer");
    CHECK(leak->evidence.find("198.18.1.77") != std::string::npos);
    CHECK(leak->fix.find(diff_dir + "/faults.extra") != std::string::npos);
    const auto* pub = find(fs, "extra-only", "public");
    CHECK(pub->fix.find("\"public IN A 192.0.2.100\"") != std::string::npos);
    CHECK(pub->fix.find(diff_dir + "/faults.intra") != std::string::npos);
    const auto* dangle = find(fs, "dangling-target", "dangle");
    CHECK(dangle->evidence.find("nowhere.example.net does not exist") != std::string::npos);
    const auto* missing = find(fs, "zone-missing", "");
    CHECK(missing->zone == "corp.example");
    CHECK(missing->fix.find("view \"extra\"") != std::string::npos);
    CHECK(find(fs, "disagree", "bar.wild")->evidence ==
          "intra: 192.0.2.95; extra: 192.0.2.96; 192.0.2.95 is outside intra's match-clients");
  }
  SUBCASE("NAT rules turn splits into split-via-nat, and a wrong DNAT into disagree") {
    diff_options o;
    o.nat = nat_map({{"203.0.113.1", {"198.18.1.53", "198.18.1.10"}},
                     {"203.0.113.2", {"198.18.1.20"}},
                     {"203.0.113.3", {"198.18.1.99"}}});
    auto s = summary(run(cfg, o));
    CHECK(std::count(s.begin(), s.end(), "split-via-nat mail A intra,extra") == 1);
    CHECK(std::count(s.begin(), s.end(), "split-via-nat ns A intra,extra") == 1);
    CHECK(std::count(s.begin(), s.end(), "disagree backup A intra,extra") == 1);
    CHECK(std::none_of(s.begin(), s.end(), [](const std::string& x) { return x.rfind("split ", 0) == 0; }));
  }
  SUBCASE("the filter keeps the checked name and its targets only") {
    diff_options o;
    o.names = V{"alias.example.net"};
    CHECK(summary(run(cfg, o)) == V{"disagree alias CNAME intra,extra", "split mail A intra,extra"});
    o.names = V{"example.net"};  // the apex: MX targets come along
    CHECK(summary(run(cfg, o)) == V{"split backup A intra,extra", "split mail A intra,extra"});
    o.names = V{"intranet.corp.example"};
    CHECK(summary(run(cfg, o)) == V{"zone-missing   intra"});
  }
}

TEST_CASE("view diff: policy edge cases") {
  // Both files the same: nothing to report.
  auto same = two_views(diff_dir + "/basic.intra", diff_dir + "/basic.intra");
  same.views[1].match_clients.elements.clear();  // the internal view's ACL decides leaks; extra's plays no part
  auto fs = run(same);
  // The internal view publishes LAN addresses; in the external view they leak.
  V s = summary(fs);
  CHECK(s == V{"leak lanonly A extra", "leak mail A extra", "leak ns A extra", "leak web A extra"});

  SUBCASE("an internal view that matches nothing: no leak, and a LAN address is no longer a split") {
    auto cfg = pair("basic");
    diff_options o;
    o.internal_clients = [](const hc::ip_address&) { return false; };
    auto s2 = summary(run(cfg, o));
    CHECK(s2 == V{"disagree mail A intra,extra", "disagree ns A intra,extra", "disagree web A intra,extra",
                  "intra-only lanonly A intra"});
  }
}

TEST_CASE("view diff: TXT strings joined, CNAME versus data, TTL only") {
  CHECK(joined_txt("\"v=spf1 \" \"mx -all\"") == "v=spf1 mx -all");
  CHECK(joined_txt("\"v=spf1 mx -all\"") == "v=spf1 mx -all");
  CHECK(joined_txt("\"a\\\"b\"") == "a\\\"b");
}

TEST_CASE("view diff: the bundled example (zones/)") {
  const std::string dir = std::string(HC_SOURCE_DIR) + "/zones";
  auto cfg = two_views(dir + "/db.debugo.fr.intra", dir + "/db.debugo.fr.extra");
  cfg.views[0].zones[0].name = "debugo.fr";
  cfg.views[1].zones[0].name = "debugo.fr";
  auto fs = run(cfg);
  CHECK(summary(fs) == V{"intra-only blogint A intra", "split mail A intra,extra", "split ns A intra,extra"});
  diff_options o;
  o.nat = nat_map({{"203.0.113.1", {"198.18.1.53"}}, {"203.0.113.2", {"198.18.1.20"}}});
  auto fn = run(cfg, o);
  CHECK(summary(fn) == V{"intra-only blogint A intra", "split-via-nat mail A intra,extra", "split-via-nat ns A intra,extra"});
  for (const auto& f : fn) CHECK(f.sev == hc::severity::info);
  CHECK(find(fn, "split-via-nat", "mail")->evidence ==
        "intra: 198.18.1.20; extra: 203.0.113.2; NAT: 203.0.113.2 → 198.18.1.20");
}

TEST_CASE("view diff: zones/named.conf read by the bind layer") {
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(std::string(HC_SOURCE_DIR) + "/zones/named.conf", d);
  for (const auto& x : d.all()) CAPTURE(x.str());
  REQUIRE_FALSE(d.has_errors());
  const auto* intra = hc::bind::find_view(cfg, "intra");
  const auto* extra = hc::bind::find_view(cfg, "extra");
  REQUIRE(intra);
  REQUIRE(extra);
  auto zones = load_zones(cfg, d);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(zones.find("intra", "debugo.fr"));
  CHECK(zones.find("intra", "debugo.fr")->serial() == 2024091101u);
  CHECK(zones.find("extra", "debugo.fr")->record_count() == 9);
  auto fs = diff_views(zones, cfg, *intra, *extra);
  CHECK(summary(fs) == V{"intra-only blogint A intra", "split mail A intra,extra", "split ns A intra,extra"});
}

TEST_CASE("view diff: a leak is decided through named ACLs, nested, negated and defined after use") {
  // named.conf as written, the internal view matched through ACL lan (defined below its use).
  auto dir = std::filesystem::temp_directory_path() / ("hc-view-diff-acl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = diff_dir + "/basic.intra";
  std::ofstream(dir / "named.conf") << "view \"intra\" { match-clients { lan; }; zone \"example.net\" { type primary; file \""
                                    << file << "\"; }; };\n"
                                    << "view \"extra\" { zone \"example.net\" { type primary; file \"" << file << "\"; }; };\n"
                                    << "acl lan { !198.18.1.20; { office; }; };\n"
                                    << "acl office { !198.18.1.30; 198.18.1.0/24; };\n";
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf((dir / "named.conf").string(), d);
  std::filesystem::remove_all(dir);
  REQUIRE_FALSE(d.has_errors());
  auto fs = run(cfg);
  // mail (198.18.1.20) and lanonly (198.18.1.30) are rejected by the ACLs: they do not leak.
  CHECK(summary(fs) == V{"leak ns A extra", "leak web A extra"});
  const auto* web = find(fs, "leak", "web");
  REQUIRE(web);
  CHECK(web->evidence == "extra: 198.18.1.10, inside the match-clients of view intra");
}

namespace {

// Zone files written for one test in a fresh directory, removed at the end.
struct zone_dir {
  std::filesystem::path path;
  zone_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hc-cname-loop-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~zone_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& origin, const std::string& body) {
    auto p = path / name;
    std::ofstream(p) << "$ORIGIN " << origin << ".\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n  NS ns\nns A 203.0.113.1\n"
                     << body;
    return p.string();
  }
};

std::vector<const hc::finding*> loops(const std::vector<hc::finding>& fs) {
  std::vector<const hc::finding*> out;
  for (const auto& f : fs)
    if (f.kind == hc::finding_kind::cname_loop) out.push_back(&f);
  return out;
}

}  // namespace

TEST_CASE("view diff: CNAME loops within a view are cname-loop, one per loop, naming the chain") {
  zone_dir d;
  const std::string body = "a CNAME b\nb CNAME a\nself CNAME self\nentry CNAME a\nok CNAME ns\n";
  auto cfg = two_views(d.write("intra", "example.net", body), d.write("extra", "example.net", "www A 203.0.113.1\n"));
  auto fs = run(cfg);
  auto ls = loops(fs);
  REQUIRE(ls.size() == 2);
  const hc::finding* ab = find(fs, "cname-loop", "a");
  REQUIRE(ab);
  CHECK(ab->sev == hc::severity::warning);
  CHECK(ab->view == "intra");
  CHECK(ab->type == "CNAME");
  CHECK(ab->zone == "example.net");
  CHECK(ab->evidence == "intra: the CNAME chain loops: a.example.net → b.example.net → a.example.net");
  CHECK(ab->fix.find(d.path.string() + "/intra") != std::string::npos);
  const hc::finding* self = find(fs, "cname-loop", "self");
  REQUIRE(self);
  CHECK(self->evidence == "intra: the CNAME chain loops: self.example.net → self.example.net");

  SUBCASE("in the external view too, and a wildcard CNAME that leads back to itself") {
    auto cfg2 = two_views(d.write("intra2", "example.net", "www A 198.18.1.1\n"),
                          d.write("extra2", "example.net", "www CNAME www\n*.w CNAME x.y.w\n"));
    auto fs2 = run(cfg2);
    auto s = summary(fs2);
    CHECK(std::count(s.begin(), s.end(), "cname-loop www CNAME extra") == 1);
    const hc::finding* wild = find(fs2, "cname-loop", "x.y.w");
    REQUIRE(wild);
    CHECK(wild->evidence == "extra: the CNAME chain loops: x.y.w.example.net → x.y.w.example.net");
  }

  SUBCASE("checked names: the loop a checked name leads into is reported, others are not") {
    diff_options o;
    o.names = V{"entry.example.net"};
    const auto fs3 = run(cfg, o);  // loops() points into it: it must outlive ls2
    auto ls2 = loops(fs3);
    REQUIRE(ls2.size() == 1);
    CHECK(short_name(*ls2.front()) == "a");
  }
}

TEST_CASE("view diff: a CNAME loop across the views, through a zone the internal view does not serve") {
  zone_dir d;
  // intra serves example.net only; other.example is served by extra alone (what the public delegation
  // answers), and leads back into the internal view's example.net.
  auto cfg = two_views(d.write("intra", "example.net", "www CNAME www.other.example.\n"),
                       d.write("extra", "example.net", "www A 203.0.113.1\n"));
  cfg.views[1].zones.push_back(zone("other.example", d.write("other", "other.example", "www CNAME www.example.net.\n")));
  auto fs = run(cfg);
  auto ls = loops(fs);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0]->view == "intra,extra");
  CHECK(ls[0]->sev == hc::severity::warning);
  CHECK(ls[0]->evidence ==
        "intra,extra: the CNAME chain loops: intra: www.example.net → extra: www.other.example → www.example.net");
  // From the external view alone the chain ends at an address: no loop there.
  for (const auto* f : ls) CHECK(f->view != "extra");
}

TEST_CASE("view diff: a missing target that many records point at is one dangling-target per view, listing every name") {
  zone_dir d;
  // Three names (four records) point at the missing gone.example.net in both views; one at the
  // missing lost.example.net in the internal view only; www's MX points at a host that exists.
  const std::string common = "zz MX 10 gone\nzz MX 20 gone\nb CNAME gone\nm SRV 0 0 25 gone\nwww MX 10 ns\n";
  auto cfg = two_views(d.write("intra", "example.net", common + "c CNAME lost\n"),
                       d.write("extra", "example.net", common));
  const auto fs = run(cfg);
  std::vector<const hc::finding*> dangling;
  for (const auto& f : fs)
    if (f.kind == hc::finding_kind::dangling_target) dangling.push_back(&f);
  REQUIRE(dangling.size() == 3);
  for (const char* view : {"intra", "extra"}) {
    CAPTURE(view);
    auto it = std::find_if(dangling.begin(), dangling.end(), [&](const hc::finding* f) {
      return f->view == view && f->evidence.find("gone.example.net does not exist") != std::string::npos;
    });
    REQUIRE(it != dangling.end());
    const hc::finding& gone = **it;
    CHECK(gone.count == 3);
    CHECK(gone.names == V{"b.example.net", "m.example.net", "zz.example.net"});
    CHECK(gone.name == "b.example.net");  // the first name: what keys on `name` still works
    CHECK(gone.type.empty());             // CNAME, MX and SRV records point at it
    CHECK(gone.zone == "example.net");
    CHECK(gone.evidence == std::string(view) + ": b.example.net CNAME gone.example.net., and gone.example.net does not "
                                               "exist in view " + view + "; 4 CNAME/MX/SRV records of 3 names point at it");
    CHECK(gone.fix.find("add gone to " + d.path.string() + "/" + view) == 0);
    CHECK(gone.fix.find("these 3 names") != std::string::npos);
  }
  auto lost = std::find_if(dangling.begin(), dangling.end(), [](const hc::finding* f) { return f->name == "c.example.net"; });
  REQUIRE(lost != dangling.end());
  CHECK((*lost)->view == "intra");
  CHECK((*lost)->count == 1);
  CHECK((*lost)->names == V{"c.example.net"});
  CHECK((*lost)->type == "CNAME");
  CHECK((*lost)->evidence == "intra: c.example.net CNAME lost.example.net., and lost.example.net does not exist in view intra");
  CHECK((*lost)->fix.find("or point the CNAME of c at a name that exists") != std::string::npos);

  SUBCASE("checked names: only the checked referrers are listed") {
    diff_options o;
    o.names = V{"zz.example.net"};
    const auto fs2 = run(cfg, o);
    std::size_t n = 0;
    for (const auto& f : fs2)
      if (f.kind == hc::finding_kind::dangling_target) {
        ++n;
        CHECK(f.names == V{"zz.example.net"});
        CHECK(f.count == 1);
        CHECK(f.type == "MX");
      }
    CHECK(n == 2);
  }
}

namespace {

// diff_views_compact's findings and rendered facts, in report order.
std::vector<hc::finding> compact_rendered(const hc::bind::config& cfg, const diff_options& opts, std::size_t& facts) {
  hc::diagnostics d;
  compact_diff out;
  {
    auto zones = load_zones(cfg, d);
    REQUIRE_FALSE(d.has_errors());
    out = diff_views_compact(zones, cfg, cfg.views[0], cfg.views[1], opts);
  }  // the zone set is gone: the renderer holds the zones the facts refer to
  facts = out.compact.facts.size();
  for (std::size_t i = 0; i < out.compact.facts.size(); ++i) {
    CHECK(out.compact.facts[i].kind == hc::finding_kind::split);
    out.findings.push_back(out.compact.at(i));
  }
  std::stable_sort(out.findings.begin(), out.findings.end(), hc::report_order);
  return out.findings;
}

void check_same(const std::vector<hc::finding>& a, const std::vector<hc::finding>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const hc::finding& x = a[i];
    const hc::finding& y = b[i];
    CAPTURE(x.name);
    CHECK(x.kind == y.kind);
    CHECK(x.sev == y.sev);
    CHECK(x.name == y.name);
    CHECK(x.zone == y.zone);
    CHECK(x.view == y.view);
    CHECK(x.type == y.type);
    CHECK(x.service == y.service);
    CHECK(x.path == y.path);
    CHECK(x.address == y.address);
    CHECK(x.evidence == y.evidence);
    CHECK(x.fix == y.fix);
    CHECK(x.accepted == y.accepted);
    CHECK(x.count == y.count);
    CHECK(x.names == y.names);
  }
}

}  // namespace

TEST_CASE("view diff: compact facts render to the findings diff_views makes") {
  static_assert(sizeof(hc::compact_finding) == 16);
  auto faults = pair("faults");
  faults.views[0].zones.push_back(zone("corp.example", diff_dir + "/corp.example"));
  const std::string dir = std::string(HC_SOURCE_DIR) + "/zones";
  auto bundled = two_views(dir + "/db.debugo.fr.intra", dir + "/db.debugo.fr.extra");
  bundled.views[0].zones[0].name = "debugo.fr";
  bundled.views[1].zones[0].name = "debugo.fr";
  diff_options nat;
  nat.nat = nat_map({{"203.0.113.1", {"198.18.1.53"}}, {"203.0.113.2", {"198.18.1.20"}}});
  diff_options filtered;
  filtered.names = V{"www.example.net"};
  struct one {
    const char* what;
    hc::bind::config cfg;
    diff_options opts;
    std::size_t facts;  // split names kept compact (SIZE_MAX: some)
  };
  const std::vector<one> cases{{"basic", pair("basic"), {}, 3},       {"basic, NAT", pair("basic"), nat, 0},
                               {"basic, one name", pair("basic"), filtered, 1}, {"faults", faults, {}, SIZE_MAX},
                               {"bundled", bundled, {}, 2},           {"bundled, NAT", bundled, nat, 0}};
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto expected = run(c.cfg, c.opts);
    std::stable_sort(expected.begin(), expected.end(), hc::report_order);
    std::size_t facts = 0;
    auto got = compact_rendered(c.cfg, c.opts, facts);
    if (c.facts == SIZE_MAX) CHECK(facts > 0);
    else CHECK(facts == c.facts);
    check_same(got, expected);
  }
}
