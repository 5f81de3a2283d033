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

TEST_CASE("shadowed_views: views sharing prefixes, the first view that covers is named") {
  auto c = conf(R"(
acl wide { 10.0.0.0/16; };
view "a" { match-clients { 10.0.1.0/24; }; };
view "b" { match-clients { wide; }; };
view "c" { match-clients { 10.0.1.0/25; }; };
view "d" { match-clients { 10.0.2.0/24; 11.0.0.0/8; }; };
view "e" { match-clients { !10.0.1.5; 10.0.1.0/24; }; };
view "f" { match-clients { 10.0.0.0/16; }; };
view "g" { match-clients { 10.0.1.0/24; 10.0.2.0/24; }; };
view "h" { match-clients { 10.0.0.0/15; }; };
view "i" { match-clients { 11.1.0.0/16; }; };
)");
  auto f = hc::bind::shadowed_views(c);
  std::vector<std::string> got;
  for (const auto& x : f) got.push_back(x.view + "<" + x.evidence.substr(6, x.evidence.find('"', 6) - 6));
  // c and e (its negation aside): a comes first of a and b, which both cover them; f and g: only b
  // (through its ACL); d (11/8) and h (a /15): nobody covers them whole; i: d's 11/8 covers it.
  CHECK(got == std::vector<std::string>{"c<a", "e<a", "f<b", "g<b", "i<d"});
}

TEST_CASE("shadowed_views: class and match-recursive-only keep views apart as before") {
  auto c = conf(R"(
view "rec" { match-clients { 10/8; }; match-recursive-only yes; };
view "all" { match-clients { 10.1/16; }; };
view "rec2" { match-clients { 10.1.1/24; }; match-recursive-only yes; };
view "ch" chaos { match-clients { 10/8; }; };
view "ch2" CHAOS { match-clients { 10.2/16; }; };
view "in2" { match-clients { 10.3/16; }; match-recursive-only yes; };
)");
  auto f = hc::bind::shadowed_views(c);
  std::vector<std::string> got;
  for (const auto& x : f) got.push_back(x.view + "<" + x.evidence.substr(6, x.evidence.find('"', 6) - 6));
  // all: rec takes recursive queries only; rec2: rec comes first; ch2: the class compares without case;
  // in2: rec (a recursive-only view shadows a recursive-only one).
  CHECK(got == std::vector<std::string>{"rec2<rec", "ch2<ch", "in2<rec"});
}

TEST_CASE("shadowed_views: thousands of views, each duplicate named with the view it repeats") {
  std::string text = "view \"local\" { match-clients { localhost; }; };\n";
  const int n = 3000;
  for (int k = 0; k < n; ++k) {
    std::string net = "10." + std::to_string(k / 256) + "." + std::to_string(k % 256);
    text += "view \"v" + std::to_string(k) + "\" { match-clients { " + net + ".0/24; }; match-destinations { any; }; };\n";
    if (k % 100 == 7) text += "view \"s" + std::to_string(k) + "\" { match-clients { " + net + ".128/25; }; };\n";
  }
  text += "view \"tail\" { match-clients { 10.0.0.0/8; }; };\nview \"extra\" { match-clients { any; }; };\n";
  text += "view \"late\" { match-clients { 192.0.2.0/24; }; };\n";
  auto f = hc::bind::shadowed_views(conf(text));
  REQUIRE(f.size() == static_cast<std::size_t>(n / 100 + 1));
  for (std::size_t i = 0; i + 1 < f.size(); ++i) {
    std::string k = std::to_string(i * 100 + 7);
    CHECK(f[i].view == "s" + k);
    CHECK(f[i].evidence.find("view \"v" + k + "\" (") == 0);
  }
  CHECK(f.back().view == "late");
  CHECK(f.back().evidence.find("view \"extra\" (") == 0);
}

TEST_CASE("acl: a diamond of references 50 deep is followed once per ACL, not 2^50 times") {
  std::string text;
  for (int k = 0; k < 50; ++k) text += "acl a" + std::to_string(k) + " { a" + std::to_string(k + 1) + "; a" + std::to_string(k + 1) + "; };\n";
  text += "acl a50 { 192.0.2.1; };\n";
  text += "view \"intra\" { match-clients { !a0; 10/8; a0; }; };\nview \"extra\" { match-clients { any; }; };\n";
  text += "view \"third\" { match-clients { a0; }; };\n";
  auto c = conf(text);
  const auto& intra = c.views.at(0).match_clients;
  CHECK(hc::bind::matches(c, acl(c, "a0"), ip("192.0.2.1")));
  CHECK(!hc::bind::matches(c, acl(c, "a0"), ip("192.0.2.2")));
  CHECK(!hc::bind::matches(c, intra, ip("192.0.2.1")));  // the negation comes first
  CHECK(hc::bind::matches(c, intra, ip("10.1.2.3")));
  auto ps = hc::bind::accepted_prefixes(c, intra);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].str() == "10.0.0.0/8");
  auto a0 = hc::bind::accepted_prefixes(c, acl(c, "a0"));
  REQUIRE(a0.size() == 1);
  CHECK(a0[0].str() == "192.0.2.1");
  auto f = hc::bind::shadowed_views(c);
  REQUIRE(f.size() == 1);
  CHECK(f[0].view == "third");
  CHECK(f[0].evidence.find("view \"extra\" (") == 0);
  auto pair = hc::bind::infer_view_pair(c, ip("10.1.2.3"));
  CHECK(view_name(pair.internal) == "intra");
  CHECK(view_name(pair.external) == "extra");
}

namespace {

hc::ip_prefix pfx(const char* s) { return *hc::ip_prefix::parse(s); }

std::vector<std::string> strs(const std::vector<hc::ip_prefix>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.str());
  return out;
}

// Every error of reading `text` as named.conf, as "line:col: message near 'token'" (no file name).
std::vector<std::string> errors_of(const std::string& text, config* out = nullptr) {
  scratch_dir dir;
  hc::diagnostics d;
  auto path = dir.write("named.conf", text);
  auto c = hc::bind::read_named_conf(path, d);
  std::vector<std::string> errs;
  for (const auto& x : d.all())
    if (x.is_error) errs.push_back(x.str().substr(path.size() + 1));
  if (out) *out = std::move(c);
  return errs;
}

}  // namespace

TEST_CASE("accepted_prefixes: named ACLs, nested, negated and defined after use, in first-match order") {
  auto c = conf(R"(
view "intra" { match-clients { lan; { 10.9.0.0/16; }; }; };
acl lan { !guests; office; 192.0.2.7; !10.0.0.0/8; 10.1.0.0/16; };
acl office { !198.18.1.66; 198.18.0.0/15; none; key "k"; };
acl guests { 198.18.7.0/24; 172.16.0.0/12; };
acl shadowed { !10.0.0.0/8; 10.1.0.0/16; 2001:db8:1::/48; any; };
acl rejected_all { !any; 10.0.0.0/8; };
acl outer_neg { !lan; 172.20.0.0/16; 203.0.113.0/24; };
)");
  // guests rejects 172.16/12 as a whole; its 198.18.7/24 only cuts into office's /15, which stays whole.
  CHECK(strs(hc::bind::accepted_prefixes(c, c.views[0].match_clients)) ==
        std::vector<std::string>{"198.18.0.0/15", "192.0.2.7", "10.9.0.0/16"});
  // 10.1/16 lies inside the rejected 10/8 (lan's negation stays inside lan: 10.9/16 is still taken).
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "shadowed"))) ==
        std::vector<std::string>{"2001:db8:1::/48", "0.0.0.0/0", "::/0"});
  CHECK(hc::bind::accepted_prefixes(c, acl(c, "rejected_all")).empty());
  // !lan rejects what lan accepts: 203.0.113/24 stays; 172.20/16 is not rejected by lan (guests cuts it out there).
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "outer_neg"))) ==
        std::vector<std::string>{"172.20.0.0/16", "203.0.113.0/24"});
  // A sample of each prefix agrees with matches() where no negation cuts into it.
  CHECK(hc::bind::matches(c, c.views[0].match_clients, ip("198.18.0.1")));
  CHECK(hc::bind::matches(c, c.views[0].match_clients, ip("10.9.0.1")));
  CHECK_FALSE(hc::bind::matches(c, c.views[0].match_clients, ip("198.18.7.1")));
}

TEST_CASE("accepted_prefixes: localhost and localnets are the host's when known, loopback when not; any and none") {
  auto c = conf(R"(
acl lh { localhost; localnets; };
acl not_lh { !localhost; 198.18.1.53; 198.18.1.0/24; };
acl all { any; none; };
acl nothing { none; };
)");
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "lh"))) ==
        std::vector<std::string>{"127.0.0.1", "::1", "127.0.0.0/8"});
  hc::bind::host_addresses host{{ip("198.18.1.53"), ip("2001:db8::53")}, {pfx("198.18.1.0/24"), pfx("2001:db8::/64")}};
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "lh"), host)) ==
        std::vector<std::string>{"198.18.1.53", "2001:db8::53", "198.18.1.0/24", "2001:db8::/64"});
  // The server's own address, rejected by !localhost, is left out only when the host is known.
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "not_lh"), host)) == std::vector<std::string>{"198.18.1.0/24"});
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "not_lh"))) ==
        std::vector<std::string>{"198.18.1.53", "198.18.1.0/24"});
  CHECK(strs(hc::bind::accepted_prefixes(c, acl(c, "all"))) == std::vector<std::string>{"0.0.0.0/0", "::/0"});
  CHECK(hc::bind::accepted_prefixes(c, acl(c, "nothing")).empty());
  // Unknown host facts are named, with where they are written.
  auto deps = hc::bind::host_dependent_elements(c, acl(c, "not_lh"));
  REQUIRE(deps.size() == 1);
  CHECK(deps[0].find("!localhost (") == 0);
  CHECK(deps[0].find("named.conf:3:") != std::string::npos);
}

TEST_CASE("matches_with_key: a key element takes the keyed client, a negated one rejects it") {
  auto c = conf(R"(
acl keyed { key "Internal."; };
acl not_keyed { !key internal; any; };
acl via_ref { keyed; 10.0.0.0/8; };
)");
  CHECK(hc::bind::matches_with_key(c, acl(c, "keyed"), ip("203.0.113.1"), "internal"));
  CHECK_FALSE(hc::bind::matches_with_key(c, acl(c, "keyed"), ip("203.0.113.1"), "external"));
  CHECK_FALSE(hc::bind::matches(c, acl(c, "keyed"), ip("203.0.113.1")));
  CHECK_FALSE(hc::bind::matches_with_key(c, acl(c, "not_keyed"), ip("203.0.113.1"), "INTERNAL"));
  CHECK(hc::bind::matches_with_key(c, acl(c, "not_keyed"), ip("203.0.113.1"), "external"));
  CHECK(hc::bind::matches(c, acl(c, "not_keyed"), ip("203.0.113.1")));
  CHECK(hc::bind::matches_with_key(c, acl(c, "via_ref"), ip("203.0.113.1"), "internal"));
}

TEST_CASE("acl: a 30,000-deep chain of references is one error at the reference that starts it, not a crash") {
  constexpr int n = 30000;
  std::string text = "view \"v\" { match-clients { a1; }; };\nview \"e\" { };\n";
  for (int i = 1; i < n; ++i) text += "acl a" + std::to_string(i) + " { a" + std::to_string(i + 1) + "; };\n";
  text += "acl a" + std::to_string(n) + " { 10.0.0.0/8; };\n";
  config c;
  auto errs = errors_of(text, &c);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "3:10: ACL references nested too deeply: 'a1' -> 'a2' -> 'a3' -> 'a4' -> ... goes 29999 lists deep "
                   "(more than 64) near 'a2'");
  // Matching, view selection, inference and the analyses stop at the limit instead of overflowing the stack.
  CHECK_FALSE(hc::bind::matches(c, c.views[0].match_clients, ip("10.0.0.1")));
  CHECK(view_name(hc::bind::select_view(c, ip("10.0.0.1"))) == "e");
  CHECK(hc::bind::accepted_prefixes(c, c.views[0].match_clients).empty());
  CHECK(hc::bind::host_dependent_elements(c, c.views[0].match_clients).empty());
  (void)hc::bind::infer_view_pair(c, ip("10.0.0.1"));
  (void)hc::bind::shadowed_views(c);
}

TEST_CASE("acl: a chain at the depth limit matches and is no error; one reference more is an error") {
  auto chain = [](int n) {
    std::string text = "view \"v\" { match-clients { a1; }; };\n";
    for (int i = 1; i < n; ++i) text += "acl a" + std::to_string(i) + " { a" + std::to_string(i + 1) + "; };\n";
    return text + "acl a" + std::to_string(n) + " { 10.0.0.0/8; };\n";
  };
  config c;
  CHECK(errors_of(chain(hc::bind::max_acl_depth + 1), &c).empty());  // a1 .. a65: 64 references
  CHECK(hc::bind::matches(c, c.views[0].match_clients, ip("10.0.0.1")));
  CHECK(strs(hc::bind::accepted_prefixes(c, c.views[0].match_clients)) == std::vector<std::string>{"10.0.0.0/8"});
  auto errs = errors_of(chain(hc::bind::max_acl_depth + 2));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("2:10: ACL references nested too deeply: 'a1' -> 'a2'") == 0);
  // Nested lists count as levels too.
  std::string rest = chain(hc::bind::max_acl_depth);  // a1 .. a64, without its view
  auto nested = errors_of("acl a { { { a1; }; }; };\n" + rest.substr(rest.find('\n') + 1));
  REQUIRE(nested.size() == 1);
  CHECK(nested[0].find("1:13: ACL references nested too deeply: 'a' -> 'a1'") == 0);
}

TEST_CASE("acl: a cycle is an error at the reference that closes it, and matching ends") {
  config c;
  auto errs = errors_of("view \"v\" { match-clients { a; }; };\nacl a { b; };\nacl b { c; 10/8; };\nacl c { a; };\n", &c);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "4:9: ACL loop: 'c' refers back to 'a' near 'a'");
  CHECK(hc::bind::matches(c, c.views[0].match_clients, ip("10.0.0.1")));
  CHECK_FALSE(hc::bind::matches(c, c.views[0].match_clients, ip("11.0.0.1")));
  CHECK(strs(hc::bind::accepted_prefixes(c, c.views[0].match_clients)) == std::vector<std::string>{"10.0.0.0/8"});
  auto self = errors_of("acl s { !s; 10/8; };\n");
  REQUIRE(self.size() == 1);
  CHECK(self[0] == "1:10: ACL loop: 's' refers back to 's' near 's'");
}

TEST_CASE("infer_view_pair: the internal view matched through a named ACL, localhost left to the host") {
  auto c = conf(R"(
view "intra" { match-clients { lan; }; };
view "extra" { match-clients { any; }; };
acl lan { 198.18.0.0/15; localhost; };
)");
  // Without a vantage address, a sample of the ACL's prefixes tells the views apart (what the runner does).
  auto ps = hc::bind::accepted_prefixes(c, c.views[0].match_clients);
  REQUIRE(strs(ps) == std::vector<std::string>{"198.18.0.0/15", "127.0.0.1", "::1"});
  auto p = hc::bind::infer_view_pair(c, ip("198.18.0.1"));
  CHECK(view_name(p.internal) == "intra");
  CHECK(view_name(p.external) == "extra");
  CHECK_FALSE(p.by_keys);
  CHECK(p.reason.empty());
  CHECK(p.internal_key.empty());
  REQUIRE(p.notes.size() == 1);
  CHECK(p.notes[0].find("view 'intra' matches localhost (") == 0);
  CHECK(p.notes[0].find("only 127.0.0.1 and ::1 count as localhost") != std::string::npos);
  // With the host's facts, nothing is assumed.
  hc::bind::host_addresses host{{ip("198.18.1.53")}, {pfx("198.18.1.0/24")}};
  CHECK(hc::bind::infer_view_pair(c, ip("198.18.0.1"), host).notes.empty());
  // No vantage address and no keys: no pair, and why.
  auto none = hc::bind::infer_view_pair(c, std::nullopt);
  CHECK(none.internal == nullptr);
  CHECK(none.external == nullptr);
  CHECK(none.reason == "the vantage address is not known; no view is selected by a TSIG key");
}

TEST_CASE("infer_view_pair: views selected by TSIG keys are told apart by their keys") {
  SUBCASE("key for the internal view, key or any for the external one") {
    auto c = conf(R"(
view "intra" { match-clients { key "internal"; }; };
view "extra" { match-clients { key "external"; any; }; };
)");
    for (auto source : {std::optional<hc::ip_address>{}, std::optional(ip("198.18.1.99"))}) {
      auto p = hc::bind::infer_view_pair(c, source);
      CHECK(view_name(p.internal) == "intra");
      CHECK(view_name(p.external) == "extra");
      CHECK(p.by_keys);
      CHECK(p.internal_key == "internal");
      CHECK(p.external_key == "external");
      CHECK(p.reason.empty());
      CHECK(p.notes == std::vector<std::string>{
                           "view 'intra' is selected by TSIG key 'internal' (the internal view)",
                           "view 'extra' is selected by TSIG key 'external' and by clients without a key (the external view)"});
    }
  }
  SUBCASE("!key for the external view, through an ACL") {
    auto c = conf(R"(
acl insiders { key "internal"; };
view "intra" { match-clients { insiders; }; };
view "extra" { match-clients { !key "internal"; any; }; };
)");
    auto p = hc::bind::infer_view_pair(c, std::nullopt);
    CHECK(view_name(p.internal) == "intra");
    CHECK(view_name(p.external) == "extra");
    CHECK(p.internal_key == "internal");
    CHECK(p.external_key.empty());
    CHECK(p.notes == std::vector<std::string>{"view 'intra' is selected by TSIG key 'internal' (the internal view)",
                                              "view 'extra' takes the clients without a TSIG key (the external view)"});
  }
  SUBCASE("a LAN and a key: the address decides, the keys are named") {
    auto c = conf(R"(
view "intra" { match-clients { key "internal"; 198.18.1.0/24; }; };
view "extra" { match-clients { key "external"; any; }; };
)");
    auto p = hc::bind::infer_view_pair(c, ip("198.18.1.99"));
    CHECK(view_name(p.internal) == "intra");
    CHECK(view_name(p.external) == "extra");
    CHECK_FALSE(p.by_keys);
    CHECK(p.internal_key == "internal");
    CHECK(p.external_key == "external");
    CHECK(p.notes == std::vector<std::string>{"view 'intra' is selected by TSIG key 'internal'",
                                              "view 'extra' is selected by TSIG key 'external'"});
  }
  SUBCASE("keys only, none for keyless clients: not told apart, and why") {
    auto c = conf(R"(
view "a" { match-clients { key "one"; }; };
view "b" { match-clients { key "two"; }; };
)");
    auto p = hc::bind::infer_view_pair(c, std::nullopt);
    CHECK(p.external == nullptr);
    CHECK(p.reason.find("views 'a', 'b' are selected by TSIG keys only") != std::string::npos);
  }
  SUBCASE("every key reaches the keyless clients' view") {
    auto c = conf(R"(
view "intra" { match-clients { 198.18.1.0/24; }; };
view "extra" { match-clients { key "external"; any; }; };
)");
    auto p = hc::bind::infer_view_pair(c, std::nullopt);
    CHECK(p.internal == nullptr);
    CHECK(p.reason == "the vantage address is not known; every TSIG key reaches view 'extra', as clients without a key do");
  }
}
