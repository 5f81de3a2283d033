#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/kinds.hpp"
#include "nat/nat.hpp"
#include "nat/openwrt.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;

namespace {

std::string openwrt(const char* name) { return nat_test::data((std::string("openwrt/") + name).c_str()); }

// The bundled example's services, behind the router's WAN address 203.0.113.1.
analysis_context home_context(bool with_dns = false) {
  auto ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 80, "blog.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 25, "mail.debugo.fr", ip("198.18.1.20")},
                  {ip("203.0.113.1"), proto_tcp, 993, "mail.debugo.fr", ip("198.18.1.20")}};
  if (with_dns) ctx.services.push_back({ip("203.0.113.1"), proto_udp, 53, "ns.debugo.fr", ip("198.18.1.53")});
  return ctx;
}

ruleset read_clean(const std::string& text, const std::string& file) {
  return nat_test::read_clean(text, file, rule_syntax::openwrt);
}

ruleset read_file(const char* name) { return read_clean(nat_test::slurp(openwrt(name)), openwrt(name)); }

std::string explain(const std::vector<hc::finding>& fs) {
  std::string out;
  for (const auto& f : fs) out += std::string(hc::name(f.kind)) + " " + f.service + ": " + f.evidence + " FIX " + f.fix + "\n";
  return out;
}

}  // namespace

TEST_CASE("OpenWrt reader: a home router with reflection (the default) has a working hairpin") {
  auto rs = read_file("home.firewall");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  CHECK(fs.empty());
  for (const auto& sp : predict_services(rs, home_context())) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
  // With /etc/config/network appended, the reflection uses the real devices and addresses.
  std::string both = nat_test::slurp(openwrt("home.firewall")) + "\n" + nat_test::slurp(openwrt("home.network"));
  auto rs2 = read_clean(both, "fw+net");
  auto fs2 = analyse(rs2, home_context());
  INFO(explain(fs2));
  CHECK(fs2.empty());
  bool snat_to_lan_address = false;
  for (const auto& c : rs2.chains)
    for (const auto& r : c.rules)
      if (r.act == action::snat && r.to.addr == ip("198.18.1.1") && r.match.oif && r.match.oif->pattern == "br-lan")
        snat_to_lan_address = true;
  CHECK(snat_to_lan_address);
  // The WAN address is known: the forwarded services are published (what --all infers services from).
  auto pub = published(rs2);
  CHECK(std::count_if(pub.begin(), pub.end(), [](const published_service& p) {
          return p.public_address == ip("203.0.113.1") && p.iif == "eth1";
        }) == 4);
  // The same text as `uci export firewall; uci export network` (package lines) reads the same.
  auto rs3 = read_clean("package firewall\n\n" + nat_test::slurp(openwrt("home.firewall")) + "\npackage network\n\n" +
                            nat_test::slurp(openwrt("home.network")),
                        "export");
  CHECK(analyse(rs3, home_context()).empty());
}

TEST_CASE("OpenWrt reader: reflection '0' leaves LAN clients without DNAT; the fix turns it on with uci") {
  auto rs = read_file("no-reflection.firewall");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].service == "https");
  CHECK(fs[0].evidence.find("no-reflection.firewall:") != std::string::npos);
  CHECK(fs[0].evidence.find("@redirect[0] 'web-https'") != std::string::npos);
  CHECK(fs[0].fix == "uci set firewall.@redirect[0].reflection='1'; uci commit firewall; service firewall reload");
}

TEST_CASE("OpenWrt reader: a redirect restricted by src_ip misses LAN clients (nat-dnat-wan-only)") {
  auto rs = read_file("src-ip.firewall");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].fix.find("uci delete firewall.@redirect[0].src_ip") == 0);
  CHECK(fs[0].fix.find("uci commit firewall; service firewall reload") != std::string::npos);
}

TEST_CASE("OpenWrt reader: servers in a dmz zone: reflection defaults to the dest zone, LAN clients miss it") {
  std::string text = nat_test::slurp(openwrt("home.firewall")) +
                     "\nconfig zone\n\toption name 'dmz'\n\tlist network 'dmz'\n\toption forward 'REJECT'\n"
                     "\nconfig redirect\n\toption name 'git'\n\toption src 'wan'\n\toption dest 'dmz'\n\toption proto 'tcp'\n"
                     "\toption src_dport '8443'\n\toption dest_ip '198.18.2.30'\n";
  auto rs = read_clean(text, "dmz");
  auto ctx = home_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 8443, "git.debugo.fr", ip("198.18.2.30")}};
  auto fs = analyse(rs, ctx);
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].fix == "uci add_list firewall.@redirect[4].reflection_zone='lan'; uci commit firewall; service firewall reload");
  // With the LAN zone added to reflection_zone, the hairpin works. (The network configuration tells
  // which interface is the LAN's, now that a DNAT takes packets from it.)
  auto fixed = read_clean(text + "\tlist reflection_zone 'lan'\n\tlist reflection_zone 'dmz'\n" +
                              nat_test::slurp(openwrt("home.network")) +
                              "\nconfig interface 'dmz'\n\toption device 'eth2'\n\toption ipaddr '198.18.2.1/24'\n",
                          "dmz-fixed");
  auto fs2 = analyse(fixed, ctx);
  INFO(explain(fs2));
  CHECK(fs2.empty());
}

TEST_CASE("OpenWrt reader: a rule rejecting lan to lan forwarding drops the reflected connections") {
  auto rs = read_file("forward-drop.firewall");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 4);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_forward_drop);
    CHECK(f.evidence.find("Isolate-LAN-hosts") != std::string::npos);
    CHECK(f.fix == "uci set firewall.@rule[1].enabled='0'; uci commit firewall; service firewall reload");
  }
}

TEST_CASE("OpenWrt reader: DNS reflection into the internal view, with reflection_src internal and external") {
  SUBCASE("internal: the router's LAN address is inside match-clients") {
    auto rs = read_file("dns-internal.firewall");
    auto fs = analyse(rs, home_context(true));
    INFO(explain(fs));
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].kind == hc::finding_kind::nat_snat_into_internal_view);
    CHECK(fs[0].service == "dns/udp");
    CHECK(fs[0].fix == "uci set firewall.@redirect[4].reflection_src='external'; uci commit firewall; service firewall reload");
  }
  SUBCASE("external: fine while the internal view does not take the WAN address") {
    auto rs = read_file("dns-external.firewall");
    auto fs = analyse(rs, home_context(true));
    INFO(explain(fs));
    CHECK(fs.empty());
  }
  SUBCASE("external, and match-clients takes the WAN address too") {
    auto rs = read_file("dns-external.firewall");
    auto ctx = home_context(true);
    ctx.internal_view = [](const hc::ip_address& a) {
      return nat_test::prefix("198.18.1.0/24").contains(a) || a == ip("203.0.113.1");
    };
    auto fs = analyse(rs, ctx);
    INFO(explain(fs));
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].kind == hc::finding_kind::nat_snat_into_internal_view);
    CHECK(fs[0].evidence.find("203.0.113.1") != std::string::npos);
    CHECK(fs[0].fix.find("match-clients") != std::string::npos);
  }
  SUBCASE("external without /etc/config/network: the WAN address is not known, the prediction is unknown") {
    std::string text = nat_test::slurp(openwrt("dns-external.firewall"));
    text = text.substr(0, text.find("# /etc/config/network"));
    auto rs = read_clean(text, "no-net");
    auto fs = analyse(rs, home_context(true));
    INFO(explain(fs));
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].kind == hc::finding_kind::nat_unsimulated);
  }
}

TEST_CASE("OpenWrt reader: a missing forward and a missing loopback SNAT get uci fixes") {
  auto ctx = home_context();
  ctx.services.push_back({ip("203.0.113.1"), proto_tcp, 8443, "git.debugo.fr", ip("198.18.1.30")});
  auto rs = read_file("home.firewall");
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_not_forwarded);
  CHECK(fs[0].fix.find("uci add firewall redirect; ") == 0);
  CHECK(fs[0].fix.find("firewall.@redirect[-1].dest_ip='198.18.1.30'") != std::string::npos);
  // A hand-made lan redirect instead of reflection, without SNAT: nat-no-loopback. (Without
  // /etc/config/network, a DNAT on the LAN zone hides which interface is the LAN's: unknown.)
  std::string text = nat_test::slurp(openwrt("no-reflection.firewall")) + nat_test::slurp(openwrt("home.network")) +
                     "\nconfig redirect\n\toption name 'manual-hairpin'\n\toption src 'lan'\n\toption src_dip '203.0.113.1'\n"
                     "\toption proto 'tcp'\n\toption src_dport '443'\n\toption dest_ip '198.18.1.10'\n\toption reflection '0'\n";
  auto rs2 = read_clean(text, "manual");
  auto fs2 = analyse(rs2, home_context());
  INFO(explain(fs2));
  REQUIRE(fs2.size() == 1);
  CHECK(fs2[0].kind == hc::finding_kind::nat_no_loopback);
  CHECK(fs2[0].fix.find("uci add firewall nat; ") == 0);
  CHECK(fs2[0].fix.find("target='MASQUERADE'") != std::string::npos);
}

TEST_CASE("OpenWrt reader: options it does not model make the prediction unknown, never OK") {
  std::string text = nat_test::slurp(openwrt("home.firewall"));
  auto at = text.find("\toption src_dport '443'\n");
  REQUIRE(at != std::string::npos);
  text.insert(at, "\toption src_mac '00:11:22:33:44:55'\n");
  auto rs = read_clean(text, "mac");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_unsimulated);
  CHECK(fs[0].service == "https");
  CHECK(fs[0].evidence.find("src_mac") != std::string::npos);
}

TEST_CASE("OpenWrt reader: bad input names file:line:col, and rules read with errors predict nothing") {
  const char* texts[] = {
      "config zone\n\toption name 'lan\n",
      "config redirect\n\toption src 'wan'\n\toption src_dport '99999'\n\toption dest_ip '198.18.1.10'\n",
      "option name 'x'\n",
      "config\n",
      "config zone\n\toption name 'lan'\n\tlist network 'lan'\nconfig redirect\n\toption src 'nowhere'\n\toption dest_ip 'x'\n",
      "config zone\n\toption name 'wan'\n\tlist network 'wan'\nconfig redirect\n\toption src 'wan'\n\toption dest_ip '198.18.1.999'\n",
      "config nat\n\toption target 'SNAT'\n\toption snat_ip 'bogus'\n",
      "config zone\n\toption name 'wan'\n\tlist network 'wan'\nconfig redirect\n\toption src 'wan'\n\toption proto 'tcpp'\n\toption dest_ip '198.18.1.10'\n",
      "config rule extra words here\n",
      "config zone\n\tfrobnicate\n",
  };
  for (const char* t : texts) {
    std::string shown = t;
    CAPTURE(shown);
    hc::diagnostics d;
    auto rs = parse_nat_rules(t, "bad.firewall", d);
    CHECK(d.has_errors());
    nat_test::check_reading_contract(t, "bad.firewall", rs, d);
  }
  hc::diagnostics d;
  parse_nat_rules("config zone\n\toption name 'lan\n", "q", d);
  CHECK(d.all().at(0).str() == "q:2:14: quote not closed on this line");
}

TEST_CASE("OpenWrt reader: every mutation of the home router is read into rules or named in diagnostics") {
  std::string base = nat_test::slurp(openwrt("home.firewall")) + nat_test::slurp(openwrt("home.network"));
  std::mt19937 rng(2319);
  const std::string alphabet = "'\"#\n\t configptinlsa0123456789./-!";
  const auto outcome = nat_test::mutation_rounds(base, rng, alphabet, "config", parse_openwrt, "fuzz.firewall");
  CHECK(outcome.clean > 10);
  CHECK(outcome.diagnosed > 10);
}

namespace {

// The dual-stack router of openwrt/ipv6.*: LAN 198.18.1.0/24 and fd00:1:2::/64 (NAT66 behind the WAN's
// 2001:db8:113::1), the vantage point on the LAN's IPv6 side.
analysis_context ipv6_context() {
  analysis_context ctx;
  ctx.vantage = ip("fd00:1:2::99");
  ctx.lan = {nat_test::prefix("198.18.1.0/24"), nat_test::prefix("fd00:1:2::/64")};
  ctx.internal_view = [](const hc::ip_address& a) {
    return nat_test::prefix("198.18.1.0/24").contains(a) || nat_test::prefix("fd00:1:2::/64").contains(a);
  };
  ctx.services = {{ip("2001:db8:113::1"), proto_tcp, 443, "blog.debugo.fr", ip("fd00:1:2::10")}};
  return ctx;
}

std::string ipv6_router(const std::string& firewall) {
  return firewall + "\n" + nat_test::slurp(openwrt("ipv6.network"));
}

}  // namespace

TEST_CASE("OpenWrt reader IPv6: a family 'ipv6' redirect to a ULA server, with masq6, reflects like IPv4") {
  auto rs = read_clean(ipv6_router(nat_test::slurp(openwrt("ipv6.firewall"))), "ipv6");
  auto fs = analyse(rs, ipv6_context());
  INFO(explain(fs));
  CHECK(fs.empty());
  auto sp = predict_services(rs, ipv6_context());
  REQUIRE(sp.size() == 1);
  INFO(sp[0].prediction.reason);
  CHECK(sp[0].prediction.result == outcome::works);
  REQUIRE(sp[0].prediction.dnat_to);
  CHECK(*sp[0].prediction.dnat_to == ip("fd00:1:2::10"));
  // reflection_src 'internal': the server sees the router's ULA address on br-lan.
  REQUIRE(sp[0].prediction.seen_source);
  CHECK(*sp[0].prediction.seen_source == ip("fd00:1:2::1"));
  // The IPv4 service of the same file still works, and each DNAT is of its own family only.
  auto ctx4 = home_context();
  ctx4.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")}};
  CHECK(analyse(rs, ctx4).empty());
  int dnat4 = 0, dnat6 = 0, masq6 = 0;
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules) {
      if (r.act == action::dnat && r.to.addr) (r.to.addr->v6 ? dnat6 : dnat4) += r.match.family == (r.to.addr->v6 ? 6 : 4);
      if (r.act == action::masquerade && r.match.family == 6 && r.text.find("masq6") != std::string::npos) ++masq6;
    }
  CHECK(dnat4 == 2);  // from eth1, and the reflection from br-lan
  CHECK(dnat6 == 2);
  CHECK(masq6 == 1);
  // Published on the WAN's IPv6 address, from /etc/config/network's ip6addr.
  auto pub = published(rs);
  CHECK(std::count_if(pub.begin(), pub.end(), [](const published_service& p) {
          return p.public_address == ip("2001:db8:113::1") && p.internal_address == ip("fd00:1:2::10");
        }) == 1);
}

TEST_CASE("OpenWrt reader IPv6: without masq6 fw4 adds no IPv6 reflection: nat-dnat-wan-only, fix masq6") {
  std::string fw = nat_test::slurp(openwrt("ipv6.firewall"));
  auto at = fw.find("\toption masq6 '1'\n");
  REQUIRE(at != std::string::npos);
  fw.erase(at, std::string("\toption masq6 '1'\n").size());
  auto rs = read_clean(ipv6_router(fw), "no-masq6");
  auto fs = analyse(rs, ipv6_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].evidence.find("@redirect[1] 'web-https6'") != std::string::npos);
  CHECK(fs[0].evidence.find("no IPv6 reflection") != std::string::npos);
  CHECK(fs[0].fix.find("uci set firewall.@zone[1].masq6='1'; uci commit firewall; service firewall reload") == 0);
  // IPv4 is unaffected: masq is still on.
  auto ctx4 = home_context();
  ctx4.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")}};
  CHECK(analyse(rs, ctx4).empty());
  // The same for IPv4: a WAN zone without masq gets no reflection either (fw4's rule, both families).
  std::string no_masq = nat_test::slurp(openwrt("ipv6.firewall"));
  at = no_masq.find("\toption masq '1'\n");
  REQUIRE(at != std::string::npos);
  no_masq.erase(at, std::string("\toption masq '1'\n").size());
  auto rs4 = read_clean(ipv6_router(no_masq), "no-masq");
  auto fs4 = analyse(rs4, ctx4);
  INFO(explain(fs4));
  REQUIRE(fs4.size() == 1);
  CHECK(fs4[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs4[0].fix.find("uci set firewall.@zone[1].masq='1'") == 0);
  CHECK(analyse(rs4, ipv6_context()).empty());  // and IPv6 still reflects
}

TEST_CASE("OpenWrt reader IPv6: family any, ipv4 and contradictions; rules and nat sections of each family") {
  std::string fw = nat_test::slurp(openwrt("ipv6.firewall"));
  // A redirect to an IPv6 server without `family`: inferred from dest_ip, the same as family 'ipv6'.
  std::string inferred = fw;
  auto at = inferred.find("\toption family 'ipv6'\n");
  REQUIRE(at != std::string::npos);
  inferred.erase(at, std::string("\toption family 'ipv6'\n").size());
  CHECK(analyse(read_clean(ipv6_router(inferred), "inferred"), ipv6_context()).empty());
  // family 'ipv4' with an IPv6 dest_ip: fw4 warns and skips the section: the service is not forwarded.
  std::string contradiction = fw;
  contradiction.replace(contradiction.find("option family 'ipv6'"), std::string("option family 'ipv6'").size(),
                        "option family 'ipv4'");
  hc::diagnostics d;
  auto rs = parse_nat_rules(ipv6_router(contradiction), "contra", d);
  CHECK_FALSE(d.has_errors());
  CHECK(nat_test::all_text(d).find("IPv4") != std::string::npos);
  auto fs = analyse(rs, ipv6_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_not_forwarded);
  CHECK(fs[0].fix.find("dest_ip='fd00:1:2::10'") != std::string::npos);
  // A rule dropping lan-to-lan IPv6 forwarding (fw4 used to be modelled for IPv4 only) now decides.
  std::string drop6 = fw +
                      "\nconfig rule\n\toption name 'no-lan6'\n\toption src 'lan'\n\toption dest 'lan'\n"
                      "\toption family 'ipv6'\n\toption proto 'tcp'\n\toption target 'REJECT'\n";
  auto rsd = read_clean(ipv6_router(drop6), "drop6");
  auto fsd = analyse(rsd, ipv6_context());
  INFO(explain(fsd));
  REQUIRE(fsd.size() == 1);
  CHECK(fsd[0].kind == hc::finding_kind::nat_forward_drop);
  CHECK(fsd[0].fix.find("uci set firewall.@rule[0].enabled='0'") == 0);
  auto ctx4 = home_context();
  ctx4.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")}};
  CHECK(analyse(rsd, ctx4).empty());  // an IPv6 rule does not touch IPv4
  // `config nat` with family 'ipv6' is an IPv6 rule; without family and addresses, fw4 takes IPv4.
  auto rsn = read_clean(ipv6_router(fw + "\nconfig nat\n\toption name 'n6'\n\toption family 'ipv6'\n\toption src 'lan'\n"
                                         "\toption target 'MASQUERADE'\n\nconfig nat\n\toption name 'n4'\n\toption src "
                                         "'lan'\n\toption target 'MASQUERADE'\n"),
                        "nat");
  std::vector<int> nat_families;
  for (const auto& c : rsn.chains)
    for (const auto& r : c.rules)
      if (r.target == "@nat[0]" || r.target == "@nat[1]") nat_families.push_back(r.match.family.value_or(0));
  CHECK(nat_families == std::vector<int>{6, 4});
}

TEST_CASE("OpenWrt reader IPv6: a hand-made lan redirect without loopback SNAT gets an IPv6 uci nat fix") {
  std::string fw = nat_test::slurp(openwrt("ipv6.firewall"));
  auto at = fw.find("\toption masq6 '1'\n");
  REQUIRE(at != std::string::npos);
  fw.erase(at, std::string("\toption masq6 '1'\n").size());
  fw += "\nconfig redirect\n\toption name 'manual-hairpin6'\n\toption src 'lan'\n\toption src_dip '2001:db8:113::1'\n"
        "\toption proto 'tcp'\n\toption src_dport '443'\n\toption dest_ip 'fd00:1:2::10'\n\toption reflection '0'\n";
  auto rs = read_clean(ipv6_router(fw), "manual6");
  auto fs = analyse(rs, ipv6_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_no_loopback);
  CHECK(fs[0].fix.find("uci add firewall nat; ") == 0);
  CHECK(fs[0].fix.find("firewall.@nat[-1].dest_ip='fd00:1:2::10'") != std::string::npos);
  CHECK(fs[0].fix.find("firewall.@nat[-1].family='ipv6'") != std::string::npos);
}
