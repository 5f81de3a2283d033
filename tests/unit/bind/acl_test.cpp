#include <doctest/doctest.h>

#include "bind/config.hpp"
#include "test_files.hpp"

using bind_test::scratch_dir;
using hc::bind::config;

namespace {

hc::ip_address ip(const char* s) { return *hc::ip_address::parse(s); }

config conf(const std::string& text) {
  scratch_dir dir;
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(dir.write("named.conf", text), d);
  for (const auto& x : d.all()) FAIL_CHECK(x.str());
  return cfg;
}

const hc::bind::address_match_list& acl(const config& c, const std::string& name) {
  for (const auto& a : c.acls)
    if (a.name == name) return a.list;
  throw std::runtime_error("no acl " + name);
}

std::string view_name(const hc::bind::view_decl* v) { return v ? v->name : "(none)"; }

}  // namespace

TEST_CASE("acl: first match wins and a negated match rejects") {
  auto c = conf(R"(
acl a { !198.18.1.66; 198.18.1.0/24; };
acl b { 198.18.1.0/24; !198.18.1.66; };
acl none_first { none; 10/8; };
acl empty { };
acl everyone { any; };
acl noone { !any; 10/8; };
)");
  CHECK_FALSE(hc::bind::matches(c, acl(c, "a"), ip("198.18.1.66")));
  CHECK(hc::bind::matches(c, acl(c, "a"), ip("198.18.1.67")));
  CHECK(hc::bind::matches(c, acl(c, "b"), ip("198.18.1.66")));  // the earlier positive element decides
  CHECK_FALSE(hc::bind::matches(c, acl(c, "a"), ip("198.18.2.1")));
  CHECK(hc::bind::matches(c, acl(c, "none_first"), ip("10.1.2.3")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "empty"), ip("10.1.2.3")));
  CHECK(hc::bind::matches(c, acl(c, "everyone"), ip("2001:db8::1")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "noone"), ip("10.1.2.3")));
}

TEST_CASE("acl: nested lists and references, negated, as BIND evaluates them") {
  auto c = conf(R"(
acl outer { !lan; any; };
acl lan { !198.18.1.66; 198.18.1.0/24; };
acl via_lan { lan; 198.18.1.66; };
acl neg_nested { ! { !10.1.0.0/16; 10.0.0.0/8; }; any; };
acl keyed { key "k"; !key "k"; 10/8; };
acl geo { geoip country FR; 10/8; };
)");
  // !lan rejects what lan accepts ...
  CHECK_FALSE(hc::bind::matches(c, acl(c, "outer"), ip("198.18.1.5")));
  // ... but what lan rejects is no match for !lan: the list goes on (to any).
  CHECK(hc::bind::matches(c, acl(c, "outer"), ip("198.18.1.66")));
  CHECK(hc::bind::matches(c, acl(c, "outer"), ip("203.0.113.1")));
  // A negative answer inside a referenced ACL is no match: the next element decides.
  CHECK(hc::bind::matches(c, acl(c, "via_lan"), ip("198.18.1.66")));
  CHECK(hc::bind::matches(c, acl(c, "via_lan"), ip("198.18.1.7")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "neg_nested"), ip("10.2.0.1")));
  CHECK(hc::bind::matches(c, acl(c, "neg_nested"), ip("10.1.0.1")));  // the inner list rejects: no match
  CHECK(hc::bind::matches(c, acl(c, "neg_nested"), ip("192.0.2.1")));
  // key and geoip elements never match a plain address, negated or not.
  CHECK(hc::bind::matches(c, acl(c, "keyed"), ip("10.0.0.1")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "keyed"), ip("11.0.0.1")));
  CHECK(hc::bind::matches(c, acl(c, "geo"), ip("10.0.0.1")));
}

TEST_CASE("acl: IPv6, localhost and localnets with and without host facts") {
  auto c = conf(R"(
acl v6 { !2001:db8:1::5; 2001:db8:1::/48; fe80::/10; };
acl lh { localhost; };
acl ln { localnets; };
acl not_lh { !localhost; any; };
)");
  CHECK(hc::bind::matches(c, acl(c, "v6"), ip("2001:db8:1:2::1")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "v6"), ip("2001:db8:1::5")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "v6"), ip("2001:db8:2::1")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "v6"), ip("198.18.1.1")));
  CHECK(hc::bind::matches(c, acl(c, "lh"), ip("127.0.0.1")));
  CHECK(hc::bind::matches(c, acl(c, "lh"), ip("::1")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "lh"), ip("127.0.0.2")));
  CHECK(hc::bind::matches(c, acl(c, "ln"), ip("127.0.0.2")));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "ln"), ip("198.18.1.9")));
  hc::bind::host_addresses host{{ip("198.18.1.53")}, {*hc::ip_prefix::parse("198.18.1.0/24")}};
  CHECK(hc::bind::matches(c, acl(c, "lh"), ip("198.18.1.53"), host));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "lh"), ip("127.0.0.1"), host));
  CHECK(hc::bind::matches(c, acl(c, "ln"), ip("198.18.1.9"), host));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "not_lh"), ip("198.18.1.53"), host));
  CHECK(hc::bind::matches(c, acl(c, "not_lh"), ip("198.18.1.54"), host));
}

TEST_CASE("acl: a loop between ACLs does not hang matching") {
  scratch_dir dir;
  hc::diagnostics d;
  auto c = hc::bind::read_named_conf(dir.write("named.conf", "acl a { b; }; acl b { a; 10/8; };\n"), d);
  CHECK(d.has_errors());
  CHECK(hc::bind::matches(c, c.acls[1].list, ip("10.0.0.1")));
  CHECK_FALSE(hc::bind::matches(c, c.acls[0].list, ip("11.0.0.1")));
}

TEST_CASE("acl: a config built by hand, without the name index") {
  config c;
  hc::bind::acl_decl a;
  a.name = "lan";
  hc::bind::address_match_element e;
  e.prefix = *hc::ip_prefix::parse("10.0.0.0/8");
  a.list.elements.push_back(e);
  c.acls.push_back(a);
  hc::bind::address_match_list l;
  hc::bind::address_match_element r;
  r.what = hc::bind::address_match_element::kind::acl_ref;
  r.ref = "lan";
  l.elements.push_back(r);
  CHECK(hc::bind::matches(c, l, ip("10.9.9.9")));
}

TEST_CASE("select_view: first matching view, destinations, recursive-only, class") {
  auto c = conf(R"(
acl lan { 198.18.1.0/24; };
view "chaos" ch { match-clients { any; }; };
view "rec" { match-clients { 198.18.2.0/24; }; match-recursive-only yes; };
view "dmz" { match-clients { lan; }; match-destinations { 198.18.1.54; }; };
view "intra" { match-clients { lan; localhost; }; };
view "extra" { };
)");
  // Without a destination, match-destinations is not considered: dmz comes first.
  CHECK(view_name(hc::bind::select_view(c, ip("198.18.1.99"))) == "dmz");
  CHECK(view_name(hc::bind::select_view(c, ip("198.18.1.99"), ip("198.18.1.54"))) == "dmz");
  CHECK(view_name(hc::bind::select_view(c, ip("198.18.1.99"), ip("198.18.1.53"))) == "intra");
  CHECK(view_name(hc::bind::select_view(c, ip("127.0.0.1"))) == "intra");
  CHECK(view_name(hc::bind::select_view(c, ip("203.0.113.7"))) == "extra");
  CHECK(view_name(hc::bind::select_view(c, ip("198.18.2.1"))) == "rec");
  CHECK(view_name(hc::bind::select_view(c, ip("198.18.2.1"), std::nullopt, {}, false)) == "extra");
  auto none = conf("view \"only\" { match-clients { 10/8; }; };\n");
  CHECK(hc::bind::select_view(none, ip("11.0.0.1")) == nullptr);
}

TEST_CASE("infer_views: the bundled zones/named.conf") {
  hc::diagnostics d;
  auto c = hc::bind::read_named_conf(HC_SOURCE_DIR "/zones/named.conf", d);
  REQUIRE_FALSE(d.has_errors());
  auto [in, ex] = hc::bind::infer_views(c, ip("198.18.1.99"));
  CHECK(view_name(in) == "intra");
  CHECK(view_name(ex) == "extra");
  REQUIRE(in);
  CHECK(in->zones.at(0).type == "primary");
  CHECK(in->zones.at(0).file == HC_SOURCE_DIR "/zones/db.debugo.fr.intra");
  CHECK(ex->zones.at(0).file == HC_SOURCE_DIR "/zones/db.debugo.fr.extra");
  // From outside, the external view is the one that takes the vantage point.
  auto [in2, ex2] = hc::bind::infer_views(c, ip("203.0.113.50"));
  CHECK(view_name(in2) == "extra");
  CHECK(ex2 == nullptr);
  CHECK(hc::bind::shadowed_views(c).empty());
}

TEST_CASE("infer_views: candidates outside the internal ACL, IPv6, missing views") {
  auto c = conf(R"(
acl inside { 198.18.0.0/15; 203.0.113.0/24; 2001:db8:1::/48; };
view "int" { match-clients { inside; }; };
view "v6only" { match-clients { 2001:db8::/32; }; };
view "ext" { match-clients { any; }; };
)");
  // 203.0.113.0/24 is inside (say, the router's SNAT address): the next candidate decides.
  auto [in, ex] = hc::bind::infer_views(c, ip("2001:db8:1::99"));
  CHECK(view_name(in) == "int");
  CHECK(view_name(ex) == "ext");
  auto only_internal = conf("view \"int\" { match-clients { 10/8; }; };\n");
  auto [in3, ex3] = hc::bind::infer_views(only_internal, ip("10.1.1.1"));
  CHECK(view_name(in3) == "int");
  CHECK(ex3 == nullptr);
  auto [in4, ex4] = hc::bind::infer_views(only_internal, ip("11.1.1.1"));
  CHECK(in4 == nullptr);
  CHECK(ex4 == nullptr);
  auto with_v6 = conf("view \"int\" { match-clients { !2001:db8::/32; any; }; };\nview \"ext6\" { };\n");
  auto [in5, ex5] = hc::bind::infer_views(with_v6, ip("198.18.1.1"));
  CHECK(view_name(in5) == "int");
  CHECK(view_name(ex5) == "ext6");
}

TEST_CASE("shadowed_views: an earlier view that takes every client") {
  auto c = conf(R"(
acl lan { 198.18.1.0/24; };
view "chaos" chaos { match-clients { any; }; };
view "extra" { match-clients { !192.0.2.1; any; }; };
view "intra" { match-clients { lan; }; };
view "local" { match-clients { localhost; }; };
view "office" { match-clients { 198.18.1.0/25; }; };
view "outside" { match-clients { 192.0.2.1; }; };
)");
  auto f = hc::bind::shadowed_views(c);
  REQUIRE(f.size() == 2);
  CHECK(f[0].kind == hc::finding_kind::view_shadowed);
  CHECK(f[0].sev == hc::severity::critical);
  CHECK(f[0].view == "intra");
  CHECK(f[0].evidence.find("view \"extra\" (") == 0);
  CHECK(f[0].evidence.find("match-clients { !192.0.2.1; any; } takes every client of view \"intra\"") !=
        std::string::npos);
  CHECK(f[0].fix == "move view \"intra\" before view \"extra\", or narrow the match-clients of view \"extra\"");
  CHECK(f[1].view == "office");
  CHECK(f[1].evidence.find("view \"extra\"") == 0);  // the first view that shadows it
}

TEST_CASE("shadowed_views: only when certain") {
  auto c = conf(R"(
acl lan { 198.18.1.0/24; };
acl lan_minus { !198.18.1.66; lan; };
view "a" { match-clients { lan_minus; }; };
view "b" { match-clients { 198.18.1.64/26; }; };
view "c" { match-clients { 198.18.1.128/25; localhost; }; };
view "d" { match-clients { key "k"; }; };
view "rec" { match-clients { any; }; match-recursive-only yes; };
view "e" { match-clients { 10/8; }; };
view "dest" { match-clients { any; }; match-destinations { 198.18.1.53; }; };
view "f" { match-clients { 11/8; }; match-destinations { 198.18.1.54; }; };
view "g" { match-clients { none; }; };
view "h" { match-clients { 198.18.1.192/26; }; match-recursive-only yes; };
)");
  auto f = hc::bind::shadowed_views(c);
  // b overlaps 198.18.1.66, which a rejects; c has localhost; d is keyed; e has non-recursive
  // queries that rec does not take; f asks another destination; g takes nobody. h is taken by a.
  REQUIRE(f.size() == 1);
  CHECK(f[0].view == "h");
  CHECK(f[0].evidence.find("view \"a\"") == 0);

  auto nested = conf(R"(
view "x" { match-clients { { !10.1/16; 10/8; }; 192.0.2.0/24; }; };
view "y" { match-clients { 10.1.2.0/24; }; };
view "z" { match-clients { 10.2.0.0/16; 192.0.2.128/25; }; };
)");
  auto g = hc::bind::shadowed_views(nested);
  REQUIRE(g.size() == 1);
  CHECK(g[0].view == "z");
}
