#include <doctest/doctest.h>

#include <algorithm>

#include "nat/nat.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;
using nat_test::prefix;

namespace {

const char* dnat_rules =
    "-A PREROUTING -d 203.0.113.1/32 -p tcp -m multiport --dports 80,443 -j DNAT --to-destination 198.18.1.10\n"
    "-A PREROUTING -d 203.0.113.2/32 -p tcp -m multiport --dports 25,993 -j DNAT --to-destination 198.18.1.20\n"
    "-A PREROUTING -d 203.0.113.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 198.18.1.53\n"
    "-A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 198.18.1.53\n";

const char* loopback_snat_rules =
    "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.10/32 -p tcp -m multiport --dports 80,443 -j SNAT --to-source 203.0.113.1\n"
    "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.20/32 -p tcp -m multiport --dports 25,993 -j SNAT --to-source 203.0.113.2\n"
    "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53/32 -p udp -m udp --dport 53 -j SNAT --to-source 203.0.113.1\n"
    "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53/32 -p tcp -m tcp --dport 53 -j SNAT --to-source 203.0.113.1\n";

const char* general_snat = "-A POSTROUTING -s 198.18.1.0/24 ! -d 198.18.1.0/24 -o wan0 -j SNAT --to-source 203.0.113.1\n";

const char* filter_rules =
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
    "-A FORWARD -i lan0 -o wan0 -s 198.18.1.0/24 -j ACCEPT\n"
    "-A FORWARD -i wan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT\n"
    "-A FORWARD -i lan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT\n";

// An iptables-save text: nat rules (PREROUTING on line 7 onwards) and filter rules.
std::string save(const std::string& nat, const std::string& filter, const std::string& extra_chains = "") {
  return "# test rules\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
         ":POSTROUTING ACCEPT [0:0]\n" +
         extra_chains + nat + "COMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
         filter + "COMMIT\n";
}

ruleset parse_ok(const std::string& text) {
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "test.rules", d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  return rs;
}

const hc::finding* find(const std::vector<hc::finding>& fs, const std::string& service) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const hc::finding& f) { return f.service == service; });
  return it == fs.end() ? nullptr : &*it;
}

flow dns_udp() { return {ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53}; }

}  // namespace

TEST_CASE("simulator: the bundled router.rules make every service work") {
  hc::diagnostics d;
  auto rs = read_nat_rules(nat_test::bundled_rules_path(), d);
  auto ctx = nat_test::lan_context();
  CHECK(analyse(rs, ctx).empty());
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == 6);
  for (const auto& sp : preds) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
  auto p = predict(rs, dns_udp(), ctx);
  CHECK(p.result == outcome::works);
  CHECK(p.dnat_to == ip("198.18.1.53"));
  CHECK(p.seen_source == ip("203.0.113.1"));
  CHECK(p.in_iface == "lan0");
  CHECK(p.out_iface == "lan0");
  REQUIRE(p.rules.size() == 3);  // DNAT, FORWARD accept, SNAT
  CHECK(p.rules[0].where.line == 10);
  CHECK(p.rules[2].where.line == 14);
  CHECK(summary(p, dns_udp()) == "predicted: works, 198.18.1.53 sees 203.0.113.1");
  // Without a vantage address, a host of the inferred LAN is used.
  analysis_context bare;
  bare.internal_view = ctx.internal_view;
  CHECK(analyse(rs, bare).empty());
}

TEST_CASE("simulator: interfaces are inferred from the rules") {
  hc::diagnostics d;
  auto rs = read_nat_rules(nat_test::bundled_rules_path(), d);
  auto ifs = infer_interfaces(rs, nat_test::lan_context());
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].name == "lan0");
  CHECK(ifs[0].networks == std::vector<hc::ip_prefix>{prefix("198.18.1.0/24")});
  CHECK(ifs[1].name == "wan0");
  CHECK(ifs[1].default_route);
  // The LAN comes from the SNAT rules when not given.
  auto ifs2 = infer_interfaces(rs, analysis_context{});
  CHECK(ifs2[0].networks == std::vector<hc::ip_prefix>{prefix("198.18.1.0/24")});
}

TEST_CASE("simulator: only the general outbound SNAT gives nat-no-loopback with an iptables fix") {
  auto rs = parse_ok(save(std::string(dnat_rules) + general_snat, filter_rules));
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE(fs.size() == 6);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_no_loopback);
    CHECK(f.sev == hc::severity::critical);
    CHECK(f.path == "hairpin");
  }
  const hc::finding* dns = find(fs, "dns/udp");
  REQUIRE(dns);
  CHECK(dns->address == "203.0.113.1");
  CHECK(dns->fix == "iptables -t nat -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j SNAT --to-source 203.0.113.1");
  CHECK(dns->evidence.find("test.rules:9:1: -A PREROUTING -d 203.0.113.1/32 -p udp -m udp --dport 53 -j DNAT") == 0);
  CHECK(dns->evidence.find("bypassing the router") != std::string::npos);
  CHECK(find(fs, "https"));
  CHECK(find(fs, "http"));
  CHECK(find(fs, "smtp"));
  CHECK(find(fs, "imaps"));
  CHECK(find(fs, "dns/tcp"));
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::no_loopback);
  CHECK(p.seen_source == ip("198.18.1.99"));
  CHECK(summary(p, dns_udp()) == "predicted: no loopback SNAT for udp/53");
}

TEST_CASE("simulator: rule order: an earlier ACCEPT in POSTROUTING keeps the loopback SNAT from applying") {
  std::string nat = std::string(dnat_rules) + "-A POSTROUTING -d 198.18.1.0/24 -j ACCEPT\n" + loopback_snat_rules + general_snat;
  auto rs = parse_ok(save(nat, filter_rules));
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::no_loopback);
  REQUIRE(p.decided_by);
  CHECK(p.decided_by->where.line == 11);
  CHECK(p.decided_by->text == "-A POSTROUTING -d 198.18.1.0/24 -j ACCEPT");
  CHECK(p.fix == "iptables -t nat -I POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j SNAT --to-source 203.0.113.1");
}

TEST_CASE("simulator: a loopback MASQUERADE into the LAN makes DNS answer from the internal view") {
  std::string nat = std::string(dnat_rules) + "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.0/24 -j MASQUERADE\n" + general_snat;
  auto rs = parse_ok(save(nat, filter_rules));
  auto ctx = nat_test::lan_context();
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 2);
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_snat_into_internal_view);
    CHECK(f.sev == hc::severity::critical);
    CHECK(f.evidence.find("test.rules:11:1: -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.0/24 -j MASQUERADE") == 0);
  }
  CHECK(find(fs, "dns/udp")->fix ==
        "iptables -t nat -I POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j SNAT --to-source 203.0.113.1");
  // With the router's addresses given, the source the server sees is known.
  ctx.interfaces = {{"lan0", {prefix("198.18.1.0/24")}, {ip("198.18.1.1")}, false},
                    {"wan0", {prefix("203.0.113.0/24")}, {ip("203.0.113.1"), ip("203.0.113.2")}, true}};
  auto p = predict(rs, dns_udp(), ctx);
  CHECK(p.result == outcome::snat_into_internal_view);
  CHECK(p.seen_source == ip("198.18.1.1"));
  auto web = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 443}, ctx);
  CHECK(web.result == outcome::works);
  // Without an internal-view predicate there is nothing to compare with.
  ctx.internal_view = nullptr;
  CHECK(predict(rs, dns_udp(), ctx).result == outcome::works);
}

TEST_CASE("simulator: SNAT to the router's LAN address is inside the internal view too") {
  std::string nat = std::string(dnat_rules) + "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53/32 -j SNAT --to-source 198.18.1.1\n";
  auto rs = parse_ok(save(nat, filter_rules));
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::snat_into_internal_view);
  CHECK(p.seen_source == ip("198.18.1.1"));
  CHECK(summary(p, dns_udp()) == "predicted: loopback SNAT for udp/53 to 198.18.1.1 falls inside the internal view");
}

TEST_CASE("simulator: a DNAT restricted to the WAN interface gives nat-dnat-wan-only") {
  std::string nat =
      "-A PREROUTING -i wan0 -d 203.0.113.1/32 -p tcp -m multiport --dports 80,443 -j DNAT --to-destination 198.18.1.10\n"
      "-A PREROUTING -i wan0 -d 203.0.113.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 198.18.1.53:5353\n" +
      std::string(loopback_snat_rules) + general_snat;
  auto rs = parse_ok(save(nat, filter_rules));
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE(fs.size() == 3);
  for (const auto& f : fs) CHECK(f.kind == hc::finding_kind::nat_dnat_wan_only);
  const hc::finding* https = find(fs, "https");
  REQUIRE(https);
  CHECK(https->fix == "iptables -t nat -A PREROUTING -i lan0 -d 203.0.113.1 -p tcp --dport 443 -j DNAT --to-destination 198.18.1.10");
  CHECK(https->evidence.find("test.rules:7:1: -A PREROUTING -i wan0") == 0);
  CHECK(find(fs, "dns/udp")->fix ==
        "iptables -t nat -A PREROUTING -i lan0 -d 203.0.113.1 -p udp --dport 53 -j DNAT --to-destination 198.18.1.53:5353");
}

TEST_CASE("simulator: a user chain that RETURNs LAN sources before its DNATs is WAN-only") {
  std::string chains = ":PORTFW - [0:0]\n";
  std::string nat = "-A PREROUTING -m addrtype --dst-type LOCAL -j PORTFW\n"
                    "-A PORTFW -s 198.18.1.0/24 -j RETURN\n"
                    "-A PORTFW -p tcp -m tcp --dport 443 -j DNAT --to-destination 198.18.1.10\n" +
                    std::string(loopback_snat_rules);
  auto rs = parse_ok(save(nat, filter_rules, chains));
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")}};
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(fs[0].name == "blog.debugo.fr");
  CHECK(fs[0].evidence.find("-A PORTFW -p tcp -m tcp --dport 443 -j DNAT") != std::string::npos);
  CHECK(fs[0].fix.rfind("iptables -t nat -A PREROUTING -i lan0 -d 203.0.113.1 -p tcp --dport 443", 0) == 0);
  // Without the RETURN the same chain works through the jump.
  std::string nat2 = "-A PREROUTING -m addrtype --dst-type LOCAL -j PORTFW\n"
                     "-A PORTFW -p tcp -m tcp --dport 443 -j DNAT --to-destination 198.18.1.10\n" +
                     std::string(loopback_snat_rules);
  auto rs2 = parse_ok(save(nat2, filter_rules, chains));
  CHECK(analyse(rs2, ctx).empty());
  // A destination that is not one of the router's addresses does not pass --dst-type LOCAL.
  auto p = predict(rs2, {ip("198.18.1.99"), ip("192.0.2.80"), proto_tcp, 443}, ctx);
  CHECK(p.result == outcome::not_forwarded);
}

TEST_CASE("simulator: FORWARD policy DROP without a LAN-to-LAN rule gives nat-forward-drop") {
  std::string filter = "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                       "-A FORWARD -i lan0 -o wan0 -s 198.18.1.0/24 -j ACCEPT\n"
                       "-A FORWARD -i wan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT\n";
  auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules + general_snat, filter));
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE(fs.size() == 6);
  const hc::finding* dns = find(fs, "dns/udp");
  REQUIRE(dns);
  CHECK(dns->kind == hc::finding_kind::nat_forward_drop);
  CHECK(dns->sev == hc::severity::critical);
  CHECK(dns->fix == "iptables -I FORWARD 1 -i lan0 -o lan0 -d 198.18.1.53 -p udp --dport 53 -m conntrack --ctstate DNAT -j ACCEPT");
  CHECK(dns->evidence.find("test.rules:19:1: policy DROP") != std::string::npos);
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(summary(p, dns_udp()) == "predicted: the router drops the looped-back udp/53 (test.rules:19:1)");
}

TEST_CASE("simulator: an explicit DROP rule is named, and its removal offered") {
  std::string filter = std::string("-A FORWARD -i lan0 -o lan0 -j DROP\n") + filter_rules;
  auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter));
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::forward_drop);
  REQUIRE(p.decided_by);
  CHECK(p.decided_by->text == "-A FORWARD -i lan0 -o lan0 -j DROP");
  CHECK(p.fix.rfind("iptables -D FORWARD -i lan0 -o lan0 -j DROP; or iptables -I FORWARD 1", 0) == 0);
}

TEST_CASE("simulator: a FORWARD chain that only accepts NEW drops the reply") {
  std::string filter = "-A FORWARD -i lan0 -o lan0 -m conntrack --ctstate NEW -j ACCEPT\n";
  auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter));
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::forward_drop);
  CHECK(p.reason.find("drops the reply") != std::string::npos);
  CHECK(p.fix == "iptables -I FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
}

TEST_CASE("simulator: a name whose address and port have no DNAT gives nat-not-forwarded") {
  auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter_rules));
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 8080, "app.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", std::nullopt}};
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_not_forwarded);
  CHECK(fs[0].sev == hc::severity::warning);
  CHECK(fs[0].service == "tcp/8080");
  CHECK(fs[0].name == "app.debugo.fr");
  CHECK(fs[0].fix ==
        "iptables -t nat -A PREROUTING -d 203.0.113.1 -p tcp --dport 8080 -j DNAT --to-destination 198.18.1.10; "
        "iptables -t nat -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.10 -p tcp --dport 8080 -j SNAT --to-source 203.0.113.1");
  flow f{ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 8080};
  CHECK(summary(predict(rs, f, ctx), f) == "predicted: no DNAT for 203.0.113.1 tcp/8080");
}

TEST_CASE("simulator: matches it does not understand make the prediction unknown and a nat-unsimulated finding") {
  SUBCASE("unknown match before the DNAT") {
    std::string nat = std::string("-A PREROUTING -m mark --mark 0x1 -j ACCEPT\n") + dnat_rules + general_snat;
    auto rs = parse_ok(save(nat, filter_rules));
    auto p = predict(rs, dns_udp(), nat_test::lan_context());
    CHECK(p.result == outcome::unknown);
    CHECK(p.reason.find("-m mark --mark 0x1") != std::string::npos);
    CHECK(summary(p, dns_udp()).rfind("predicted: unknown for udp/53", 0) == 0);
    // Never silently dropped: one nat-unsimulated per flow it touches, naming the rule by file:line.
    auto fs = analyse(rs, nat_test::lan_context());
    REQUIRE_FALSE(fs.empty());
    for (const auto& f : fs) {
      CHECK(f.kind == hc::finding_kind::nat_unsimulated);
      CHECK(f.sev == hc::severity::warning);
      CHECK(f.evidence.find("-m mark --mark 0x1") != std::string::npos);
      CHECK(f.evidence.find(":1") != std::string::npos);
    }
  }
  SUBCASE("unknown match in FORWARD") {
    std::string filter = std::string("-A FORWARD -m set --match-set blocked src -j DROP\n") + filter_rules;
    auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter));
    CHECK(predict(rs, dns_udp(), nat_test::lan_context()).result == outcome::unknown);
  }
  SUBCASE("unknown target") {
    std::string nat = std::string("-A PREROUTING -d 203.0.113.1/32 -j NETMAP --to 198.18.1.0/24\n") + dnat_rules;
    auto rs = parse_ok(save(nat, filter_rules));
    CHECK(predict(rs, dns_udp(), nat_test::lan_context()).result == outcome::unknown);
  }
  SUBCASE("an unknown match on a rule that only logs changes nothing") {
    std::string filter = std::string("-A FORWARD -m limit --limit 5/min -j LOG --log-prefix \"fwd \"\n") + filter_rules;
    auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter));
    CHECK(predict(rs, dns_udp(), nat_test::lan_context()).result == outcome::works);
  }
  SUBCASE("a source-port match on the ephemeral client port") {
    std::string filter = std::string("-A FORWARD -p udp --sport 40000:50000 -j DROP\n") + filter_rules;
    auto rs = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, filter));
    CHECK(predict(rs, dns_udp(), nat_test::lan_context()).result == outcome::unknown);
    std::string low = std::string("-A FORWARD -p udp --sport 1:52 -j DROP\n") + filter_rules;
    auto rs2 = parse_ok(save(std::string(dnat_rules) + loopback_snat_rules, low));
    CHECK(predict(rs2, dns_udp(), nat_test::lan_context()).result == outcome::works);
  }
}

TEST_CASE("simulator: a vantage point on another LAN needs no loopback SNAT") {
  auto rs = parse_ok(save(dnat_rules, std::string("-A FORWARD -i lan1 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT\n") + filter_rules));
  analysis_context ctx;
  ctx.vantage = ip("198.18.2.99");
  ctx.interfaces = {{"lan0", {prefix("198.18.1.0/24")}, {ip("198.18.1.1")}, false},
                    {"lan1", {prefix("198.18.2.0/24")}, {ip("198.18.2.1")}, false},
                    {"wan0", {prefix("203.0.113.0/24")}, {ip("203.0.113.1"), ip("203.0.113.2")}, true}};
  flow f{ip("198.18.2.99"), ip("203.0.113.1"), proto_tcp, 443};
  auto p = predict(rs, f, ctx);
  CHECK(p.result == outcome::works);
  CHECK(p.in_iface == "lan1");
  CHECK(p.out_iface == "lan0");
  CHECK(p.seen_source == ip("198.18.2.99"));
}

TEST_CASE("simulator: DNAT of a port range to another port") {
  std::string nat = "-A PREROUTING -d 203.0.113.2/32 -p tcp -m tcp --dport 8000:8080 -j DNAT --to-destination 198.18.1.30:80\n"
                    "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.30/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 203.0.113.2\n";
  auto rs = parse_ok(save(nat, filter_rules));
  flow f{ip("198.18.1.99"), ip("203.0.113.2"), proto_tcp, 8042};
  auto p = predict(rs, f, nat_test::lan_context());
  CHECK(p.result == outcome::works);
  CHECK(p.dnat_to == ip("198.18.1.30"));
  CHECK(p.dnat_port == 80);
  auto pub = published(rs);
  REQUIRE(pub.size() == 1);
  CHECK(pub[0].port == 8000);
  CHECK(pub[0].port_last == 8080);
  CHECK(pub[0].internal_port == 80);
}

TEST_CASE("simulator: service names by port") {
  CHECK(service_name(proto_udp, 53) == "dns/udp");
  CHECK(service_name(proto_tcp, 53) == "dns/tcp");
  CHECK(service_name(proto_tcp, 443) == "https");
  CHECK(service_name(proto_tcp, 80) == "http");
  CHECK(service_name(proto_tcp, 25) == "smtp");
  CHECK(service_name(proto_tcp, 993) == "imaps");
  CHECK(service_name(proto_tcp, 8080) == "tcp/8080");
  CHECK(service_name(proto_udp, 500) == "udp/500");
  CHECK(std::string(to_string(outcome::snat_into_internal_view)) == "snat-into-internal-view");
}

TEST_CASE("simulator: rules read with errors predict nothing rather than something wrong") {
  std::string text = save(std::string(dnat_rules) + "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53/32 -j SNAT --to-source bogus\n",
                          filter_rules);
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "test.rules", d);
  REQUIRE(d.has_errors());
  CHECK(rs.errors == 1);
  auto p = predict(rs, dns_udp(), nat_test::lan_context());
  CHECK(p.result == outcome::unknown);
  CHECK(p.reason.find("could not be read completely") != std::string::npos);
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_udp, 53, "ns.debugo.fr", std::nullopt}};
  CHECK(analyse(rs, ctx).empty());
  // The DNAT map still reads what could be read.
  CHECK(published(rs).size() == 6);
  hc::diagnostics d2;
  auto missing = read_nat_rules("/nonexistent/file", d2);
  CHECK(missing.errors == 1);
  CHECK(analyse(missing, ctx).empty());
}

TEST_CASE("simulator: ip6tables-save rules are read as IPv6 and fixed with ip6tables") {
  std::string text = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                     "-A PREROUTING -d 2001:db8::1/128 -p tcp -m tcp --dport 443 -j DNAT --to-destination [2001:db8:1::10]:443\n"
                     "COMMIT\n*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n";
  auto rs = parse_ok(text);
  CHECK(rs.chains.at(0).family == "ip6");
  analysis_context ctx;
  ctx.vantage = ip("2001:db8:1::99");
  ctx.interfaces = {{"lan0", {prefix("2001:db8:1::/64")}, {ip("2001:db8:1::1")}, false},
                    {"wan0", {prefix("2001:db8::/64")}, {ip("2001:db8::1")}, true}};
  flow f{ip("2001:db8:1::99"), ip("2001:db8::1"), proto_tcp, 443};
  auto p = predict(rs, f, ctx);
  CHECK(p.result == outcome::no_loopback);
  CHECK(p.dnat_to == ip("2001:db8:1::10"));
  CHECK(p.fix == "ip6tables -t nat -A POSTROUTING -s 2001:db8:1::/64 -d 2001:db8:1::10 -p tcp --dport 443 -j SNAT --to-source 2001:db8::1");
  auto pub = published(rs);
  REQUIRE(pub.size() == 1);
  CHECK(pub[0].public_address == ip("2001:db8::1"));
  CHECK(pub[0].internal_address == ip("2001:db8:1::10"));
  CHECK(dnat_targets(rs, ip("2001:db8::1"))->size() == 1);
  CHECK(dnat_targets(rs, ip("203.0.113.1"))->empty());
}

TEST_CASE("simulator: a general MASQUERADE without -o placed before the loopback SNAT rules shadows them") {
  std::string nat = std::string(dnat_rules) + "-A POSTROUTING -s 198.18.1.0/24 -j MASQUERADE\n" + loopback_snat_rules;
  auto rs = parse_ok(save(nat, filter_rules));
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE(fs.size() == 2);  // DNS over UDP and TCP; the web and mail servers do not care who asks
  const hc::finding* dns = find(fs, "dns/udp");
  REQUIRE(dns);
  CHECK(dns->kind == hc::finding_kind::nat_snat_into_internal_view);
  CHECK(dns->evidence.find("test.rules:11:1: -A POSTROUTING -s 198.18.1.0/24 -j MASQUERADE rewrites the source to the router's lan0 address") == 0);
  CHECK(dns->fix == "iptables -t nat -I POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j SNAT --to-source 203.0.113.1");
  // Placed after them, it is harmless.
  std::string nat2 = std::string(dnat_rules) + loopback_snat_rules + "-A POSTROUTING -s 198.18.1.0/24 -j MASQUERADE\n";
  CHECK(analyse(parse_ok(save(nat2, filter_rules)), nat_test::lan_context()).empty());
}

TEST_CASE("simulator: one cause for many names is one finding listing every name, sorted") {
  auto rs = parse_ok(save(std::string(dnat_rules) + general_snat, filter_rules));
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 443, "www.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")},  // twice: listed once
                  {ip("203.0.113.1"), proto_tcp, 443, "app.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_udp, 53, "ns.debugo.fr", ip("198.18.1.53")},
                  {ip("203.0.113.1"), proto_tcp, 8080, "alt.debugo.fr", ip("198.18.1.10")},
                  {ip("203.0.113.1"), proto_tcp, 8080, "alt2.debugo.fr", ip("198.18.1.11")}};
  auto fs = analyse(rs, ctx);
  // https: one nat-no-loopback for three names; dns/udp: one for one name; tcp/8080: two
  // nat-not-forwarded, since their fixes DNAT to different internal addresses.
  REQUIRE(fs.size() == 4);
  const hc::finding* https = find(fs, "https");
  REQUIRE(https);
  CHECK(https->kind == hc::finding_kind::nat_no_loopback);
  CHECK(https->count == 3);
  CHECK(https->names == std::vector<std::string>{"app.debugo.fr", "blog.debugo.fr", "www.debugo.fr"});
  CHECK(https->name == "app.debugo.fr");
  const hc::finding* dns = find(fs, "dns/udp");
  REQUIRE(dns);
  CHECK(dns->count == 1);
  CHECK(dns->names == std::vector<std::string>{"ns.debugo.fr"});
  std::size_t not_forwarded = 0;
  for (const auto& f : fs)
    if (f.kind == hc::finding_kind::nat_not_forwarded) {
      ++not_forwarded;
      CHECK(f.count == 1);
      CHECK(f.names.size() == 1);
    }
  CHECK(not_forwarded == 2);
}

TEST_CASE("simulator: many port forwards on one address are looked up by port, in rule order") {
  // More than 16 rules test 203.0.113.1 (their look-up is split by port), one of them twice and with
  // a range too wide to index by port; a /24 and a rule without destination apply too.
  std::string nat = "-A PREROUTING -d 203.0.113.0/24 -p tcp --dport 8000 -j DNAT --to-destination 198.18.1.30\n";  // 7
  for (int k = 0; k < 40; ++k)  // lines 8..47
    nat += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport " + std::to_string(2000 + k) +
           " -j DNAT --to-destination 198.18.1.10:" + std::to_string(3000 + k) + "\n";
  nat += "-A PREROUTING -d 203.0.113.1/32,203.0.113.1 -p tcp --dport 7000:7100 -j DNAT --to-destination 198.18.1.11\n";  // 48
  nat += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport 2005 -j DNAT --to-destination 198.18.1.99\n";  // 49
  nat += "-A PREROUTING -p tcp --dport 9000 -j DNAT --to-destination 198.18.1.40\n";  // 50
  nat += "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.0/24 -j MASQUERADE\n";
  auto rs = parse_ok(save(nat, filter_rules));
  auto ctx = nat_test::lan_context();
  struct expectation {
    std::uint16_t port;
    const char* to;
    std::uint16_t to_port;
    std::uint32_t line;
  };
  for (const auto& e : {expectation{2005, "198.18.1.10", 3005, 13}, expectation{2000, "198.18.1.10", 3000, 8},
                        expectation{2039, "198.18.1.10", 3039, 47}, expectation{7050, "198.18.1.11", 7050, 48},
                        expectation{8000, "198.18.1.30", 8000, 7}, expectation{9000, "198.18.1.40", 9000, 50}}) {
    auto p = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, e.port}, ctx);
    INFO(p.reason);
    const auto port = e.port;
    CAPTURE(port);
    CHECK(p.result == outcome::works);
    CHECK(p.dnat_to == ip(e.to));
    CHECK(p.dnat_port == e.to_port);
    REQUIRE_FALSE(p.rules.empty());
    CHECK(p.rules[0].where.line == e.line);
  }
  auto none = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 2040}, ctx);
  CHECK(none.result == outcome::not_forwarded);
  auto other = predict(rs, {ip("198.18.1.99"), ip("203.0.113.2"), proto_tcp, 2005}, ctx);  // only the /24's port 8000
  CHECK(other.result == outcome::not_forwarded);
}

TEST_CASE("simulator: a host route wins over a network that holds it, and the first interface listing it wins") {
  auto rs = parse_ok(save(dnat_rules, filter_rules));
  auto ctx = nat_test::lan_context();
  router_interface lan{"lan0", {prefix("198.18.1.0/24")}, {ip("198.18.1.1")}, false};
  router_interface dmz{"dmz0", {prefix("198.18.1.10/32")}, {}, false};
  router_interface dmz_again{"dmz1", {prefix("198.18.1.10/32"), prefix("198.18.1.53/32")}, {}, false};
  router_interface wan{"wan0", {prefix("203.0.113.0/24")}, {ip("203.0.113.1"), ip("203.0.113.2")}, true};
  ctx.interfaces = {lan, dmz, dmz_again, wan};
  auto web = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 443}, ctx);
  CHECK(web.dnat_to == ip("198.18.1.10"));
  CHECK(web.out_iface == "dmz0");
  auto dns = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53}, ctx);
  CHECK(dns.dnat_to == ip("198.18.1.53"));
  CHECK(dns.out_iface == "dmz1");
  auto mail = predict(rs, {ip("198.18.1.99"), ip("203.0.113.2"), proto_tcp, 25}, ctx);
  CHECK(mail.dnat_to == ip("198.18.1.20"));
  CHECK(mail.out_iface == "lan0");
}
