#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>

#include "bind/config.hpp"
#include "test_files.hpp"

using bind_test::scratch_dir;
using hc::bind::address_match_element;

namespace {

std::vector<std::string> messages(const hc::diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.all()) out.push_back(x.str());
  return out;
}

}  // namespace

TEST_CASE("config: the bundled zones/named.conf") {
  hc::diagnostics d;
  std::string path = HC_SOURCE_DIR "/zones/named.conf";
  auto cfg = hc::bind::read_named_conf(path, d);
  CHECK(messages(d).empty());
  CHECK(cfg.options.directory == HC_SOURCE_DIR "/zones");
  CHECK(cfg.options.listen_on == std::vector<std::string>{"any"});
  REQUIRE(cfg.acls.size() == 1);
  CHECK(cfg.acls[0].name == "lan");
  REQUIRE(cfg.views.size() == 2);
  const auto& intra = cfg.views[0];
  CHECK(intra.name == "intra");
  CHECK(intra.rrclass == "IN");
  CHECK_FALSE(intra.implicit);
  CHECK(intra.recursion == std::optional<std::string>("yes"));
  CHECK(hc::bind::match_list_texts(intra.match_clients) == std::vector<std::string>{"198.18.1.0/24", "localhost"});
  CHECK(hc::bind::match_list_texts(intra.match_destinations) == std::vector<std::string>{"any"});
  REQUIRE(intra.zones.size() == 1);
  CHECK(intra.zones[0].name == "debugo.fr");
  CHECK(intra.zones[0].type == "primary");
  CHECK(intra.zones[0].file == HC_SOURCE_DIR "/zones/db.debugo.fr.intra");
  const auto& extra = cfg.views[1];
  CHECK(extra.name == "extra");
  CHECK(hc::bind::match_list_texts(extra.match_clients) == std::vector<std::string>{"any"});
  REQUIRE(extra.zones.size() == 1);
  CHECK(extra.zones[0].type == "primary");
  CHECK(extra.zones[0].file == HC_SOURCE_DIR "/zones/db.debugo.fr.extra");
  CHECK(cfg.files_read.size() == 2);
  CHECK(hc::bind::find_view(cfg, "extra") == &extra);
  CHECK(hc::bind::find_view(cfg, "nope") == nullptr);
}

TEST_CASE("config: acls, elements and their texts") {
  scratch_dir dir;
  auto top = dir.write("named.conf", R"(
acl "trusted" { lan; !10.9.9.9; key "xfer-key"; { 192.0.2.1; 192.0.2.2; }; ! { 198.51.100.0/24; }; };
acl lan { 10/8; 2001:DB8:1::/48; 192.168.1.7; localhost; LOCALNETS; none; geoip country FR; };
view "v" { match-clients { trusted; }; match-destinations { 10.0.0.53; }; match-recursive-only yes; };
)");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d).empty());
  REQUIRE(cfg.acls.size() == 2);
  CHECK(hc::bind::match_list_texts(cfg.acls[0].list) ==
        std::vector<std::string>{"lan", "!10.9.9.9", "key xfer-key", "{ 192.0.2.1; 192.0.2.2; }", "!{ 198.51.100.0/24; }"});
  using k = address_match_element::kind;
  const auto& t = cfg.acls[0].list.elements;
  CHECK(t[0].what == k::acl_ref);
  CHECK(t[1].what == k::prefix);
  CHECK(t[1].negated);
  CHECK(t[2].what == k::key);
  CHECK(t[2].ref == "xfer-key");
  CHECK(t[3].what == k::nested);
  CHECK(t[3].nested->elements.size() == 2);
  CHECK(t[4].negated);
  CHECK(t[1].where.str() == top + ":2:23");
  const auto& l = cfg.acls[1].list.elements;
  CHECK(hc::bind::match_list_texts(cfg.acls[1].list) ==
        std::vector<std::string>{"10/8", "2001:DB8:1::/48", "192.168.1.7", "localhost", "LOCALNETS", "none",
                                 "geoip country FR"});
  CHECK(l[0].prefix.str() == "10.0.0.0/8");
  CHECK(l[1].prefix.str() == "2001:db8:1::/48");
  CHECK(l[2].prefix.length == 32);
  CHECK(l[3].what == k::localhost);
  CHECK(l[4].what == k::localnets);
  CHECK(l[5].what == k::none);
  CHECK(l[6].what == k::geoip);
  REQUIRE(cfg.views.size() == 1);
  CHECK(cfg.views[0].match_recursive_only);
  CHECK(hc::bind::match_list_texts(cfg.views[0].match_destinations) == std::vector<std::string>{"10.0.0.53"});
}

TEST_CASE("config: zones, classes and types") {
  scratch_dir dir;
  auto top = dir.write("named.conf", R"(
options { directory "/var/cache/bind"; recursion yes; };
view "chaos" CHAOS { match-clients { any; }; zone "bind" { type master; file "/etc/bind/db.bind"; }; };
view "Int" in {
  zone "Example.COM." IN { type slave; file "sec/example.com"; masters { 192.0.2.1; }; };
  zone "." { type hint; file "/usr/share/dns/root.hints"; };
  zone "fwd.test" { type forward; forwarders { 192.0.2.53; }; };
  zone "shared.test" { in-view "ext"; };
  zone "mirror.test" { type mirror; };
};
)");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d).empty());
  CHECK(cfg.options.directory == "/var/cache/bind");
  CHECK(cfg.options.recursion == std::optional<std::string>("yes"));
  REQUIRE(cfg.views.size() == 2);
  CHECK(cfg.views[0].rrclass == "CH");
  CHECK(cfg.views[0].zones.at(0).rrclass == "CH");
  CHECK(cfg.views[0].zones.at(0).type == "primary");
  CHECK(cfg.views[1].name == "Int");
  const auto& z = cfg.views[1].zones;
  REQUIRE(z.size() == 5);
  CHECK(z[0].name == "example.com");
  CHECK(z[0].rrclass == "IN");
  CHECK(z[0].type == "secondary");
  CHECK(z[0].file == "/var/cache/bind/sec/example.com");
  CHECK(z[1].name == ".");
  CHECK(z[1].type == "hint");
  CHECK(z[2].type == "forward");
  CHECK(z[2].file.empty());
  CHECK(z[3].type == "in-view");
  CHECK(z[3].in_view == "ext");
  CHECK(z[4].type == "mirror");
}

TEST_CASE("config: among many views, a name used again is reported at its first definition") {
  // 300 views (the name index grows several times), then names used again: each duplicate is an
  // error naming the first definition, is not read, and every other view keeps its place.
  scratch_dir dir;
  std::string text;
  for (int k = 0; k < 300; ++k) text += "view \"v" + std::to_string(k) + "\" { match-clients { 10.0." + std::to_string(k % 256) + ".0/24; }; };\n";
  text += "view \"v7\" { match-clients { any; }; };\n";    // 301
  text += "view \"V7\" { match-clients { any; }; };\n";    // 302: names are case-sensitive
  text += "view \"v299\" { match-clients { any; }; };\n";  // 303
  text += "view \"v0\" { };\n";                             // 304
  auto top = dir.write("named.conf", text);
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  std::string f = top + ":";
  CHECK(messages(d) == std::vector<std::string>{
                           f + "301:1: view 'v7' already defined at " + f + "8:1 near 'v7'",
                           f + "303:1: view 'v299' already defined at " + f + "300:1 near 'v299'",
                           f + "304:1: view 'v0' already defined at " + f + "1:1 near 'v0'",
                       });
  REQUIRE(cfg.views.size() == 301);
  for (int k = 0; k < 300; ++k) {
    std::string expected = "v" + std::to_string(k);
    CHECK(cfg.views[static_cast<std::size_t>(k)].name == expected);
  }
  CHECK(cfg.views[300].name == "V7");
  CHECK(hc::bind::match_list_texts(cfg.views[7].match_clients) == std::vector<std::string>{"10.0.7.0/24"});
}

TEST_CASE("config: bad files give exact messages and reading goes on") {
  scratch_dir dir;
  auto top = dir.write("named.conf",
                       "acl lan { 198.18.1.0/24; 198.18.1.300; 10.0.0.1 port 53; };\n"   // 1
                       "acl any { 10/8; };\n"                                             // 2
                       "acl lan { 10/8; };\n"                                             // 3
                       "view \"a\" { match-clients { lan; office; }; zone \"x\" { file \"x\"; }; };\n"  // 4
                       "view \"a\" { };\n"                                                 // 5
                       "view \"b\" FOO { };\n"                                             // 6
                       "view \"c\" { zone \"y\" { type bogus; }; zone \"z\" { type primary; };\n"      // 7
                       "  zone \"Z.\" { type primary; }; match-recursive-only maybe; };\n"  // 8
                       "zone \"loose\" { type primary; file \"db.loose\"; };\n"             // 9
                       "options { recursion; };\n"                                         // 10
                       "options { };\n"                                                    // 11
                       "acl loop1 { loop2; }; acl loop2 { !loop1; };\n"                     // 12
                       "acl mism { 198.18.1.77/24; };\n");                                 // 13
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  std::string f = top + ":";
  CHECK(messages(d) == std::vector<std::string>{
                           f + "1:26: invalid address or prefix near '198.18.1.300'",
                           f + "1:49: unexpected token near 'port'",
                           f + "2:5: cannot redefine built-in ACL 'any' near 'any'",
                           f + "3:5: ACL 'lan' already defined at " + f + "1:1 near 'lan'",
                           f + "4:44: zone 'x': type not present near 'x'",
                           f + "5:1: view 'a' already defined at " + f + "4:1 near 'a'",
                           f + "6:10: unknown class near 'FOO'",
                           f + "7:28: zone 'y': unknown type near 'bogus'",
                           f + "8:3: zone 'Z.' already defined at " + f + "7:38 near 'Z.'",
                           f + "8:53: expected a boolean near 'maybe'",
                           f + "10:11: 'recursion' expects one value near ';'",
                           f + "11:1: 'options' redefined, first at " + f + "10:1 near 'options'",
                           f + "13:12: address/prefix length mismatch, read as 198.18.1.0/24 near '198.18.1.77/24'",
                           f + "9:1: when using 'view' statements, all zones must be in views near 'zone'",
                           f + "4:33: undefined ACL 'office' near 'office'",
                           f + "12:36: ACL loop: 'loop2' refers back to 'loop1' near 'loop1'",
                       });
  CHECK(d.has_errors());
  CHECK_FALSE(d.all()[12].is_error);  // the mismatch is a warning
  // What could be read is there.
  REQUIRE(cfg.views.size() == 2);
  CHECK(cfg.views[0].name == "a");
  CHECK(cfg.views[1].name == "c");
  CHECK(cfg.views[1].zones.size() == 1);
  CHECK(hc::bind::match_list_texts(cfg.acls.at(0).list) == std::vector<std::string>{"198.18.1.0/24"});
}

TEST_CASE("config: no view means one implicit _default view that takes everybody") {
  scratch_dir dir;
  auto top = dir.write("named.conf", "zone \"a.test\" { type master; file \"db.a\"; };\n"
                                     "zone \"a.test\" { type master; file \"db.a2\"; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{top + ":2:1: zone 'a.test' already defined at " + top +
                                                ":1:1 near 'a.test'"});
  REQUIRE(cfg.views.size() == 1);
  CHECK(cfg.views[0].implicit);
  CHECK(cfg.views[0].zones.size() == 1);
  CHECK(hc::bind::match_list_texts(cfg.views[0].match_clients) == std::vector<std::string>{"any"});
  auto a = *hc::ip_address::parse("203.0.113.9");
  CHECK(hc::bind::select_view(cfg, a) == &cfg.views[0]);

  auto empty = dir.write("empty.conf", "// nothing\n");
  hc::diagnostics d2;
  auto e = hc::bind::read_named_conf(empty, d2);
  CHECK(d2.all().empty());
  CHECK(e.views.size() == 1);
}

TEST_CASE("config: random token soup never crashes") {
  const char* vocab[] = {"{", "}", ";", "!", "\"", "acl", "view", "zone", "options", "include", "match-clients",
                         "type", "file", "master", "any", "none", "key", "10/8", "::1", "\"x\"", "lan", "in-view",
                         "directory", "IN", "/*", "*/", "#", "//", "\n", "1.2.3.4/33", "localhost", "{ }"};
  scratch_dir dir;
  unsigned state = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    int n = 1 + static_cast<int>(state % 60);
    for (int i = 0; i < n; ++i) {
      state = state * 1103515245u + 12345u;
      text += vocab[(state >> 16) % (sizeof vocab / sizeof vocab[0])];
      text += ' ';
    }
    hc::diagnostics d;
    auto path = dir.write("soup.conf", text);
    auto cfg = hc::bind::read_named_conf(path, d);
    CHECK_FALSE(cfg.views.empty());  // at least the implicit view, or the views that could be read
    for (const auto& x : d.all()) {  // every diagnostic says where
      CHECK(x.where.file == path);
      CHECK(x.where.line > 0);
      CHECK(x.where.column > 0);
    }
    auto a = *hc::ip_address::parse("10.1.2.3");
    (void)hc::bind::select_view(cfg, a);
    (void)hc::bind::infer_views(cfg, a);
    (void)hc::bind::shadowed_views(cfg);
  }
}

namespace {

// Seconds to read a configuration of two views with `zones` zones each and chains of ACLs (each
// 50 long: a chain deeper than max_acl_depth is an error).
double read_seconds(int zones, const scratch_dir& dir) {
  std::string text = "acl lan { 10/8; };\n";
  for (int v = 0; v < 2; ++v) {
    text += "view \"v" + std::to_string(v) + "\" { match-clients { " + (v ? "any" : "lan") + "; };\n";
    for (int z = 0; z < zones; ++z)
      text += "  zone \"z" + std::to_string(z) + ".example\" { type master; file \"db." + std::to_string(z) + "\"; };\n";
    text += "};\n";
  }
  for (int a = 0; a < zones / 10; ++a)
    text += "acl a" + std::to_string(a) + " { " + ((a + 1) % 50 ? "a" + std::to_string(a + 1) : "192.0.2.0/24") + "; };\n";
  text += "acl a" + std::to_string(zones / 10) + " { 192.0.2.0/24; };\n";
  hc::diagnostics d;
  auto path = dir.write("big.conf", text);
  std::clock_t start = std::clock();  // CPU time: other processes on the machine do not count
  auto cfg = hc::bind::read_named_conf(path, d);
  double took = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  CHECK(d.all().empty());
  CHECK(cfg.views.at(1).zones.size() == static_cast<std::size_t>(zones));
  CHECK(cfg.acls.size() == static_cast<std::size_t>(zones / 10 + 2));
  return took;
}

}  // namespace

TEST_CASE("config: a large configuration reads in linear time") {
  scratch_dir dir;
  double small = std::min(read_seconds(2500, dir), read_seconds(2500, dir));
  double big = std::min(read_seconds(10000, dir), read_seconds(10000, dir));  // 4 times as much: linear is about 4 times as long, quadratic 16
  MESSAGE("2x2500 zones: " << small << " s, 2x10000 zones: " << big << " s");
  CHECK(big < 10 * small + 0.5);
}

TEST_CASE("config: redefined match lists and zone classes that differ from the view's") {
  scratch_dir dir;
  auto top = dir.write("named.conf",
                       "view \"v\" {\n"
                       "  match-clients { 10/8; };\n"
                       "  match-clients { any; };\n"
                       "  zone \"version.bind\" CH { type primary; file \"db.version\"; };\n"
                       "};\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{
                           top + ":3:3: 'match-clients' redefined near 'match-clients'",
                           top + ":4:23: zone 'version.bind': class CH does not match the view's class IN near 'CH'"});
  CHECK(hc::bind::match_list_texts(cfg.views.at(0).match_clients) == std::vector<std::string>{"10/8"});
  CHECK(cfg.views.at(0).zones.empty());
}

TEST_CASE("config: a zone keeps its file statement's position and the name as written") {
  scratch_dir dir;
  std::string conf = dir.write("named.conf",
                               "options { directory \"" + dir.str() + "/data\"; };\n"
                               "view \"intra\" {\n"
                               "  zone \"example.test\" {\n"
                               "    type master;\n"
                               "    file \"db.intra\";\n"
                               "  };\n"
                               "  zone \"abs.test\" { type master; file \"/var/lib/db.abs\"; };\n"
                               "  zone \"nofile.test\" { type forward; forwarders { 192.0.2.1; }; };\n"
                               "};\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(conf, d);
  CHECK(messages(d).empty());
  REQUIRE(cfg.views.size() == 1);
  REQUIRE(cfg.views[0].zones.size() == 3);
  const auto& rel = cfg.views[0].zones[0];
  CHECK(rel.file == dir.str() + "/data/db.intra");
  CHECK(rel.file_written == "db.intra");
  CHECK(rel.file_where.str() == conf + ":5:5");
  const auto& abs = cfg.views[0].zones[1];
  CHECK(abs.file_written == "/var/lib/db.abs");
  CHECK(abs.file_where.str() == conf + ":7:34");
  const auto& none = cfg.views[0].zones[2];
  CHECK(none.file_written.empty());
  CHECK(none.file_where.line == 0u);
}
