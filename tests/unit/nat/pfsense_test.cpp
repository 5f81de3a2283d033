#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/kinds.hpp"
#include "nat/nat.hpp"
#include "nat/pfsense.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;

namespace {

std::string pfsense(const char* name) { return nat_test::data((std::string("pfsense/") + name).c_str()); }

// The LAN 192.168.1.0/24 (vantage .99, the internal view takes the LAN) behind the WAN address
// 203.0.113.2, with the home setups' four services.
analysis_context home_context() {
  analysis_context ctx;
  ctx.vantage = ip("192.168.1.99");
  ctx.lan = {nat_test::prefix("192.168.1.0/24")};
  ctx.internal_view = [](const hc::ip_address& a) { return nat_test::prefix("192.168.1.0/24").contains(a); };
  ctx.services = {{ip("203.0.113.2"), proto_tcp, 443, "blog.example.org", ip("192.168.1.10")},
                  {ip("203.0.113.2"), proto_tcp, 80, "blog.example.org", ip("192.168.1.10")},
                  {ip("203.0.113.2"), proto_tcp, 25, "mail.example.org", ip("192.168.1.20")},
                  {ip("203.0.113.2"), proto_tcp, 993, "mail.example.org", ip("192.168.1.20")}};
  return ctx;
}

ruleset read_clean(const std::string& text, const std::string& file) {
  return nat_test::read_clean(text, file, rule_syntax::pfsense);
}

ruleset read_file(const char* name) { return read_clean(nat_test::slurp(pfsense(name)), pfsense(name)); }

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string explain(const std::vector<hc::finding>& fs) {
  std::string out;
  for (const auto& f : fs) out += std::string(hc::name(f.kind)) + " " + f.service + ": " + f.evidence + " FIX " + f.fix + "\n";
  return out;
}

const hc::finding* finding_for(const std::vector<hc::finding>& fs, const char* service) {
  for (const auto& f : fs)
    if (f.service == service) return &f;
  return nullptr;
}

bool contains(const std::string& hay, const char* needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("pfSense reader: the home setup with pure NAT reflection and its outbound NAT has a working hairpin") {
  auto rs = read_file("home.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  CHECK(fs.empty());
  for (const auto& sp : predict_services(rs, home_context())) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
    // The reflection NAT gives the server the firewall's LAN address.
    REQUIRE(sp.prediction.seen_source.has_value());
    const auto seen = *sp.prediction.seen_source;
    CHECK(seen == ip("192.168.1.1"));
  }
  // The WAN address is static: the forwards are published (what --all infers services from).
  auto pub = published(rs);
  CHECK(std::count_if(pub.begin(), pub.end(), [](const published_service& p) {
          return p.public_address == ip("203.0.113.2") && p.iif == "wan";
        }) == 4);
  // The rules name their element and line in config.xml.
  bool named = false;
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules)
      if (r.act == action::dnat && contains(r.text, "nat/rule[1] 'blog https'") && r.where.line == 60) named = true;
  CHECK(named);
  // Without services, analyse() checks every published forward: still nothing to report.
  auto ctx = home_context();
  ctx.services.clear();
  CHECK(analyse(rs, ctx).empty());
}

TEST_CASE("pfSense reader: reflection disabled system-wide makes every forward WAN-only, fixed in System > Advanced") {
  auto rs = read_file("reflection-off.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 4);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_dnat_wan_only);
    CHECK(contains(f.fix, "System > Advanced > Firewall & NAT"));
    CHECK(contains(f.fix, "'Enable (Pure NAT)'"));
    CHECK(contains(f.fix, "<system><enablenatreflectionpurenat>yes</enablenatreflectionpurenat>"));
    CHECK(contains(f.fix, "remove <system><disablenatreflection>"));
    CHECK_FALSE(contains(f.fix, "web GUI"));  // the GUI listens on 8443 here
  }
}

TEST_CASE("pfSense reader: reflection off while a forward takes the web GUI's port gives LAN clients the firewall") {
  auto rs = read_file("gui-port.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 4);
  const auto* https = finding_for(fs, "https");
  REQUIRE(https != nullptr);
  CHECK(https->kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(contains(https->fix, "LAN clients connecting to 203.0.113.2:443 reach the pfSense web GUI itself"));
  CHECK(contains(https->fix, "System > Advanced > Admin Access > <system><webgui><port>"));
  CHECK(contains(https->fix, "or move the web GUI to another port"));
  const auto* http = finding_for(fs, "http");
  REQUIRE(http != nullptr);
  CHECK_FALSE(contains(http->fix, "web GUI"));  // https only: port 80 is not the GUI's
  // <protocol>http</protocol> without a port: the GUI is on 80.
  auto http_gui = read_clean(replaced(nat_test::slurp(pfsense("gui-port.xml")), "<protocol>https</protocol>",
                                     "<protocol>http</protocol>"),
                             "http-gui.xml");
  auto fs2 = analyse(http_gui, home_context());
  REQUIRE(finding_for(fs2, "http") != nullptr);
  CHECK(contains(finding_for(fs2, "http")->fix, "203.0.113.2:80 reach the pfSense web GUI"));
  CHECK_FALSE(contains(finding_for(fs2, "https")->fix, "web GUI"));
}

TEST_CASE("pfSense reader: reflection disabled on one port forward is fixed on that rule") {
  auto rs = read_file("rule-disabled.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].service == "https");
  CHECK(contains(fs[0].fix, "reflection is disabled on this rule"));
  CHECK(contains(fs[0].fix, "Firewall > NAT > Port Forward, edit nat/rule[1] 'blog https'"));
  CHECK(contains(fs[0].fix, "<natreflection>purenat</natreflection>"));
  CHECK(contains(fs[0].evidence, "nat/rule[1] 'blog https'"));
}

TEST_CASE("pfSense reader: NAT + proxy reflects TCP only and no range over 500 ports") {
  auto rs = read_file("proxy-udp.xml");
  auto ctx = home_context();
  ctx.services.push_back({ip("203.0.113.2"), proto_udp, 53, "ns.example.org", ip("192.168.1.53")});
  ctx.services.push_back({ip("203.0.113.2"), proto_tcp, 53, "ns.example.org", ip("192.168.1.53")});
  ctx.services.push_back({ip("203.0.113.2"), proto_tcp, 27015, "game.example.org", ip("192.168.1.30")});
  auto fs = analyse(rs, ctx);
  INFO(explain(fs));
  REQUIRE(fs.size() == 3);
  const auto* dns = finding_for(fs, "dns/udp");
  REQUIRE(dns != nullptr);
  CHECK(dns->kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(contains(dns->fix, "NAT + proxy reflection is TCP only: udp/53 of nat/rule[5] 'dns' is not reflected"));
  CHECK(contains(dns->fix, "'Enable (Pure NAT)'"));
  const auto* game = finding_for(fs, "tcp/27015");
  REQUIRE(game != nullptr);
  CHECK(game->kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(contains(game->fix, "NAT + proxy does not reflect nat/rule[6] 'game server' (a range over 500 ports)"));
  // DNS over TCP is reflected, but the proxy helper connects from the firewall's LAN address, which
  // the internal view takes.
  const auto* dns_tcp = finding_for(fs, "dns/tcp");
  REQUIRE(dns_tcp != nullptr);
  CHECK(dns_tcp->kind == hc::finding_kind::nat_snat_into_internal_view);
  CHECK(contains(dns_tcp->fix, "the firewall's LAN address 192.168.1.1 as their source"));
  // The other TCP forwards are reflected through the proxy helper, which connects from the firewall.
  for (const auto& sp : predict_services(rs, ctx)) {
    if (sp.service.protocol != proto_tcp || sp.service.port == 27015 || sp.service.port == 53) continue;
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
}

TEST_CASE("pfSense reader: pure NAT without automatic outbound NAT for reflection has no loopback NAT") {
  auto rs = read_file("no-helper.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 4);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_no_loopback);
    CHECK(contains(f.fix, "check 'Enable automatic outbound NAT for Reflection'"));
    CHECK(contains(f.fix, "<system><enablenatreflectionhelper>yes</enablenatreflectionhelper>"));
    CHECK(contains(f.fix, "Firewall > NAT > Outbound in Hybrid mode"));
  }
}

TEST_CASE("pfSense reader: an office with a DMZ, 1:1 NAT and hybrid outbound NAT has a working hairpin") {
  auto rs = read_file("large.xml");
  auto ctx = home_context();
  ctx.services = {{ip("203.0.113.2"), proto_tcp, 443, "www.example.org", ip("10.0.20.10")},
                  {ip("203.0.113.2"), proto_tcp, 80, "www.example.org", ip("10.0.20.10")},
                  {ip("203.0.113.2"), proto_udp, 53, "ns.example.org", ip("10.0.20.53")},
                  {ip("203.0.113.2"), proto_tcp, 53, "ns.example.org", ip("10.0.20.53")},
                  {ip("203.0.113.2"), proto_tcp, 2222, "nas.example.org", ip("192.168.1.50")},
                  {ip("203.0.113.5"), proto_tcp, 25, "mail.example.org", ip("10.0.20.25")},
                  {ip("203.0.113.5"), proto_tcp, 993, "mail.example.org", ip("10.0.20.25")}};
  auto fs = analyse(rs, ctx);
  INFO(explain(fs));
  CHECK(fs.empty());
  for (const auto& sp : predict_services(rs, ctx)) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
  // The disabled forward (8080) is not loaded: nothing forwards it.
  ctx.services = {{ip("203.0.113.2"), proto_tcp, 8080, "cam.example.org", ip("192.168.1.60")}};
  auto off = analyse(rs, ctx);
  REQUIRE(off.size() == 1);
  CHECK(off[0].kind == hc::finding_kind::nat_not_forwarded);
  CHECK(contains(off[0].fix, "Firewall > NAT > Port Forward: add a rule on WAN, protocol TCP"));
  // 1:1 reflection off system-wide: the mail server is WAN-only, fixed in the 1:1 settings.
  auto no_binat = read_clean(replaced(nat_test::slurp(pfsense("large.xml")),
                                      "<enablebinatreflection>yes</enablebinatreflection>", ""),
                             "no-binat.xml");
  ctx.services = {{ip("203.0.113.5"), proto_tcp, 25, "mail.example.org", ip("10.0.20.25")}};
  auto fs2 = analyse(no_binat, ctx);
  INFO(explain(fs2));
  REQUIRE(fs2.size() == 1);
  CHECK(fs2[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(contains(fs2[0].fix, "Firewall > NAT > 1:1, edit nat/onetoone[1] 'mail server'"));
  CHECK(contains(fs2[0].fix, "<system><enablebinatreflection>yes</enablebinatreflection>"));
}

TEST_CASE("OPNsense reader: the home setup with reflection and its outbound NAT has a working hairpin") {
  auto rs = read_file("opnsense-home.xml");
  REQUIRE_FALSE(rs.chains.empty());
  CHECK(rs.chains.front().table == "opnsense");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  CHECK(fs.empty());
  for (const auto& sp : predict_services(rs, home_context())) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
  // lo0 is no reflection interface: no rule names it.
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules) CHECK_FALSE(contains(r.text, "lo0"));
}

TEST_CASE("OPNsense reader: reflection off, per rule and system-wide, is fixed in OPNsense's own menus") {
  auto rs = read_file("opnsense-reflection-off.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE(fs.size() == 4);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_dnat_wan_only);
    CHECK(contains(f.fix, "Firewall > Settings > Advanced: check 'Reflection for port forwards'"));
    CHECK(contains(f.fix, "remove <system><disablenatreflection>"));
    CHECK_FALSE(contains(f.fix, "System > Advanced"));  // pfSense's menu
  }
  // Disabled on one rule.
  auto one = read_clean(replaced(nat_test::slurp(pfsense("opnsense-home.xml")), "<descr>mail imaps</descr>",
                                 "<descr>mail imaps</descr>\n      <natreflection>disable</natreflection>"),
                        "one.xml");
  auto fs1 = analyse(one, home_context());
  INFO(explain(fs1));
  REQUIRE(fs1.size() == 1);
  CHECK(fs1[0].service == "imaps");
  CHECK(contains(fs1[0].fix, "edit nat/rule[4] 'mail imaps': set 'NAT reflection' to 'Enable'"));
  CHECK(contains(fs1[0].fix, "<natreflection>enable</natreflection>"));
  // The GUI on 443 (an empty <port>) with reflection off: LAN clients get the OPNsense GUI.
  auto gui = read_clean(replaced(nat_test::slurp(pfsense("opnsense-reflection-off.xml")), "<port>4443</port>", "<port/>"),
                        "gui.xml");
  auto fs2 = analyse(gui, home_context());
  REQUIRE(finding_for(fs2, "https") != nullptr);
  CHECK(contains(finding_for(fs2, "https")->fix, "reach the OPNsense web GUI itself"));
  CHECK(contains(finding_for(fs2, "https")->fix, "System > Settings > Administration"));
}

TEST_CASE("OPNsense reader: a DHCP WAN, a DMZ and the newer settings model") {
  auto rs = read_file("opnsense-large.xml");
  auto ctx = home_context();
  ctx.services = {{ip("203.0.113.2"), proto_tcp, 443, "intranet.corp.example", ip("172.16.50.10")},
                  {ip("203.0.113.2"), proto_udp, 53, "ns.corp.example", ip("172.16.50.53")},
                  {ip("203.0.113.2"), proto_tcp, 587, "mail.corp.example", ip("192.168.1.25")}};
  auto fs = analyse(rs, ctx);
  INFO(explain(fs));
  CHECK(fs.empty());
  // The WAN address comes from DHCP: the forwards match the firewall's own address, so none is
  // published with a fixed address.
  CHECK(published(rs).empty());
  // The model's helper switched off: the LAN server answers the LAN client directly.
  auto no_helper = read_clean(replaced(nat_test::slurp(pfsense("opnsense-large.xml")),
                                       "<enablenatreflectionhelper>1</enablenatreflectionhelper>",
                                       "<enablenatreflectionhelper>0</enablenatreflectionhelper>"),
                              "no-helper.xml");
  auto fs2 = analyse(no_helper, ctx);
  INFO(explain(fs2));
  const auto* sub = finding_for(fs2, "tcp/587");
  REQUIRE(sub != nullptr);
  CHECK(sub->kind == hc::finding_kind::nat_no_loopback);
  CHECK(contains(sub->fix, "Firewall > Settings > Advanced: check 'Automatic outbound NAT for Reflection'"));
  // The model's natreflection 'disable' wins over the legacy element.
  auto off = read_clean(replaced(nat_test::slurp(pfsense("opnsense-large.xml")), "<natreflection>enable</natreflection>\n            <enablebinat",
                                 "<natreflection>disable</natreflection>\n            <enablebinat"),
                        "off.xml");
  auto fs3 = analyse(off, ctx);
  INFO(explain(fs3));
  CHECK(finding_for(fs3, "https") != nullptr);
  CHECK(finding_for(fs3, "tcp/587") == nullptr);  // <natreflection>enable</natreflection> on that rule
}

TEST_CASE("pfSense reader: detection by the root element, and bad input named at its position") {
  CHECK(looks_like_pfsense("<?xml version=\"1.0\"?>\n<pfsense>\n</pfsense>\n"));
  CHECK(looks_like_pfsense("<opnsense/>"));
  CHECK_FALSE(looks_like_pfsense("<config/>"));
  CHECK_FALSE(looks_like_pfsense("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"));
  {
    hc::diagnostics d;
    auto rs = parse_nat_rules("<pfsense>\n <interfaces>\n  <wan><ipaddr>203.0.113.2</ipaddr>\n </interfaces>\n</pfsense>\n",
                              "bad.xml", d);
    CHECK(rs.syntax == rule_syntax::pfsense);
    REQUIRE(d.all().size() == 1);
    CHECK(d.all()[0].str() == "bad.xml:4:2: end tag does not match <wan> opened at 3:3 near 'interfaces'");
    CHECK(rs.errors == 1);
    auto preds = predict_services(rs, home_context());
    for (const auto& p : preds) CHECK(p.prediction.result == outcome::unknown);
  }
  {
    hc::diagnostics d;
    auto rs = parse_nat_rules(replaced(nat_test::slurp(pfsense("home.xml")), "<ipaddr>192.168.1.1</ipaddr>",
                                       "<ipaddr>192.168.1.300</ipaddr>"),
                              "bad.xml", d);
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].str() == "bad.xml:49:4: not an IPv4 address or a dynamic type (dhcp, pppoe, ...) near '192.168.1.300'");
    CHECK(analyse(rs, home_context()).empty());  // unknown, never a wrong certainty
  }
}

TEST_CASE("pfSense reader: every mutation of the setups is read into rules or named in diagnostics") {
  const std::string alphabet = "<>/!&;#x[]CDATA\"' \n\tabinprtuwlae0123456789.-";
  std::mt19937 rng(1919);
  for (const char* name : {"home.xml", "opnsense-large.xml"}) {
    const auto outcome = nat_test::mutation_rounds(nat_test::slurp(pfsense(name)), rng, alphabet, "<pfsense/>",
                                                   parse_pfsense, "fuzz.xml");
    CHECK(outcome.clean > 10);
    CHECK(outcome.diagnosed > 10);
  }
}

namespace {

// The hairpin prediction of each home service, as "port result", and the nat-unsimulated findings.
std::vector<std::string> results(const ruleset& rs) {
  std::vector<std::string> out;
  for (const auto& sp : predict_services(rs, home_context()))
    out.push_back(std::to_string(sp.service.port) + " " + to_string(sp.prediction.result));
  std::sort(out.begin(), out.end());
  return out;
}

// The one nat-unsimulated finding for `service`: its evidence names `element` and the file's line.
void unsimulated_at(const ruleset& rs, const char* service, const std::string& file, int line, const char* element) {
  auto fs = analyse(rs, home_context());
  const std::string all = explain(fs);
  INFO(all);
  const hc::finding* f = finding_for(fs, service);
  REQUIRE(f != nullptr);
  CHECK(f->kind == hc::finding_kind::nat_unsimulated);
  CHECK(f->sev == hc::default_severity(hc::finding_kind::nat_unsimulated));
  CHECK(contains(f->evidence, element));
  const std::string where = file + ":" + std::to_string(line) + ":";
  CHECK(contains(f->evidence, where.c_str()));
}

int line_of(const std::string& file, const std::string& needle) {
  const std::string text = nat_test::slurp(file);
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace

TEST_CASE("pfSense reader: a <filter> block rule on the LAN for a forwarded service is nat-unsimulated, never OK") {
  auto rs = read_file("filter-block.xml");
  // https is blocked on the LAN to the blog: not predicted; the other services pass as before.
  CHECK(results(rs) == std::vector<std::string>{"25 works", "443 unknown", "80 works", "993 works"});
  unsimulated_at(rs, "https", pfsense("filter-block.xml"),
                 line_of(pfsense("filter-block.xml"), "<type>block</type>") - 1, "filter/rule[1]");
  // The same rule disabled is no rule: every service works again.
  auto off = read_clean(replaced(nat_test::slurp(pfsense("filter-block.xml")), "<type>block</type>",
                                 "<type>block</type><disabled/>"),
                        "off.xml");
  CHECK(results(off) == std::vector<std::string>{"25 works", "443 works", "80 works", "993 works"});
  // A pass rule changes nothing (home.xml has one, and an associated one on the WAN).
  CHECK(results(read_file("home.xml")) == std::vector<std::string>{"25 works", "443 works", "80 works", "993 works"});
}

// A block rule's source decides which flows it may stop: one from another host of the LAN leaves the
// vantage point's flows predicted; a negated source, an alias, (self) or a family whose network is
// not known keep the rule stopping every source (unknown, never OK).
TEST_CASE("pfSense reader: a block rule's source is matched, and what cannot be decided stops every source") {
  const std::string text = nat_test::slurp(pfsense("filter-block.xml"));
  const std::string lan_source = "<source>\n\t\t\t\t<network>lan</network>\n\t\t\t</source>";
  REQUIRE(text.find(lan_source) != std::string::npos);
  auto with_source = [&](const std::string& source, const std::string& family = "inet") {
    std::string t = replaced(text, lan_source, "<source>" + source + "</source>");
    return results(read_clean(replaced(t, "<type>block</type>\n\t\t\t<interface>lan</interface>\n\t\t\t<ipprotocol>inet</ipprotocol>",
                                       "<type>block</type><interface>lan</interface><ipprotocol>" + family + "</ipprotocol>"),
                              "src.xml"));
  };
  const std::vector<std::string> blocked{"25 works", "443 unknown", "80 works", "993 works"};
  const std::vector<std::string> passed{"25 works", "443 works", "80 works", "993 works"};
  CHECK(with_source("<network>lan</network>") == blocked);
  CHECK(with_source("<address>192.168.1.99</address>") == blocked);
  CHECK(with_source("<address>192.168.1.64/26</address>") == blocked);
  CHECK(with_source("<address>192.168.1.50</address>") == passed);
  CHECK(with_source("<address>10.0.0.0/8</address>") == passed);
  CHECK(with_source("<network>wan</network>") == passed);
  CHECK(with_source("<not/><address>192.168.1.50</address>") == blocked);
  CHECK(with_source("<not/><address>192.168.1.99</address>") == passed);
  CHECK(with_source("<any/>") == blocked);
  CHECK(with_source("<address>guests</address>") == blocked);  // an alias: not resolved
  CHECK(with_source("<network>(self)</network>") == blocked);
  CHECK(with_source("<address>192.168.1.50</address>", "inet46") == passed);
  CHECK(with_source("<network>lan</network>", "inet6") == blocked);  // the LAN has no IPv6 network here
  CHECK(with_source("<address>192.168.1.50</address>", "inet6") == passed);
}

TEST_CASE("pfSense reader: a port forward to a virtual IP is nat-unsimulated, naming the virtual IP") {
  auto rs = read_file("vip.xml");
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  // The https forward's address is the VIP: services on 203.0.113.2 port 443 are no longer forwarded
  // by it; a service on the VIP is not predicted.
  analysis_context ctx = home_context();
  ctx.services = {{ip("203.0.113.5"), proto_tcp, 443, "blog.example.org", ip("192.168.1.10")}};
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == 1);
  CHECK(preds.front().prediction.result == outcome::unknown);
  auto vf = analyse(rs, ctx);
  INFO(explain(vf));
  REQUIRE(vf.size() == 1);
  CHECK(vf.front().kind == hc::finding_kind::nat_unsimulated);
  CHECK(contains(vf.front().evidence, "a virtual IP: virtualip/vip[1] (ipalias, "));
  const std::string vip_at = pfsense("vip.xml") + ":" + std::to_string(line_of(pfsense("vip.xml"), "<vip>"));
  CHECK(contains(vf.front().evidence, vip_at.c_str()));
}

TEST_CASE("pfSense reader: port forwards on a disabled interface are nat-unsimulated, naming the interface") {
  auto rs = read_file("wan-disabled.xml");
  for (const auto& sp : predict_services(rs, home_context())) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result != outcome::works);
  }
  auto fs = analyse(rs, home_context());
  INFO(explain(fs));
  REQUIRE_FALSE(fs.empty());
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_unsimulated);
    CHECK(contains(f.evidence, "interface wan is disabled (interfaces/wan at "));
  }
}

TEST_CASE("OPNsense reader: the newer model's block rules and source NAT are nat-unsimulated at their element") {
  auto rs = read_file("opnsense-mvc-filter.xml");
  CHECK(results(rs) == std::vector<std::string>{"25 works", "443 works", "80 works", "993 unknown"});
  unsimulated_at(rs, "imaps", pfsense("opnsense-mvc-filter.xml"),
                 line_of(pfsense("opnsense-mvc-filter.xml"), "<rule uuid="), "OPNsense/Firewall/Filter/rules/rule[1]");
  // Disabled in the model: no rule.
  auto off = read_clean(replaced(nat_test::slurp(pfsense("opnsense-mvc-filter.xml")), "<enabled>1</enabled>",
                                 "<enabled>0</enabled>"),
                        "off.xml");
  CHECK(results(off) == std::vector<std::string>{"25 works", "443 works", "80 works", "993 works"});

  // The rule's source: another host of the LAN leaves the vantage point's flows predicted; negated,
  // an alias or any, it still stops them.
  const std::string mvc = nat_test::slurp(pfsense("opnsense-mvc-filter.xml"));
  auto with_source = [&](const std::string& net, const char* negated) {
    std::string t = replaced(mvc, "<source_net>lan</source_net>", "<source_net>" + net + "</source_net>");
    return results(read_clean(replaced(t, "<source_not>0</source_not>", std::string("<source_not>") + negated + "</source_not>"),
                              "src.xml"));
  };
  const std::vector<std::string> blocked{"25 works", "443 works", "80 works", "993 unknown"};
  const std::vector<std::string> passed{"25 works", "443 works", "80 works", "993 works"};
  CHECK(with_source("lan", "0") == blocked);
  CHECK(with_source("192.168.1.50", "0") == passed);
  CHECK(with_source("192.168.1.50", "1") == blocked);
  CHECK(with_source("192.168.1.99", "1") == passed);
  CHECK(with_source("any", "0") == blocked);
  CHECK(with_source("guests", "0") == blocked);


  auto snat = read_file("opnsense-mvc-snat.xml");
  for (const auto& sp : predict_services(snat, home_context())) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::unknown);
  }
  unsimulated_at(snat, "https", pfsense("opnsense-mvc-snat.xml"),
                 line_of(pfsense("opnsense-mvc-snat.xml"), "<rule uuid="), "OPNsense/Firewall/Filter/snatrules/rule[1]");
}
