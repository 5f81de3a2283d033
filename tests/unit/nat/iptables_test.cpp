#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "nat/nat.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;
using nat_test::prefix;

TEST_CASE("iptables reader: bundled router.rules reads without diagnostics") {
  hc::diagnostics d;
  auto rs = read_nat_rules(nat_test::bundled_rules_path(), d);
  CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
  CHECK(rs.syntax == rule_syntax::iptables);
  const chain* pre = rs.find("ip", "nat", "PREROUTING");
  REQUIRE(pre);
  CHECK(pre->hook == "prerouting");
  CHECK(pre->priority == -100);
  REQUIRE(pre->rules.size() == 4);
  const rule& web = pre->rules[0];
  CHECK(web.act == action::dnat);
  CHECK(web.to.addr == ip("198.18.1.10"));
  REQUIRE(web.match.daddr);
  CHECK(web.match.daddr->any_of.at(0) == prefix("203.0.113.1/32"));
  REQUIRE(web.match.dport);
  CHECK(web.match.dport->any_of.size() == 2);
  CHECK(web.match.protocols == std::vector<int>{proto_tcp});
  CHECK(web.where.line == 8);
  CHECK(web.text.rfind("-A PREROUTING -d 203.0.113.1/32", 0) == 0);
  const chain* fwd = rs.find("ip", "filter", "FORWARD");
  REQUIRE(fwd);
  CHECK(fwd->policy_drop);
  REQUIRE(fwd->rules.size() == 4);
  CHECK(fwd->rules[0].match.ct.at(0).any_of == (ct_related | ct_established));
  CHECK(fwd->rules[3].match.ct.at(0).any_of == ct_dnat);
  CHECK(fwd->rules[3].match.iif->pattern == "lan0");
  const chain* post = rs.find("ip", "nat", "POSTROUTING");
  REQUIRE(post);
  const rule& general = post->rules.back();
  CHECK(general.act == action::snat);
  CHECK(general.match.daddr->negated);
  CHECK(general.match.oif->pattern == "wan0");
  CHECK(general.to.addr == ip("203.0.113.1"));
}

TEST_CASE("iptables reader: published services and the DNAT map of the bundled rules") {
  hc::diagnostics d;
  auto rs = read_nat_rules(nat_test::bundled_rules_path(), d);
  auto pub = published(rs);
  REQUIRE(pub.size() == 6);
  CHECK(pub[0].public_address == ip("203.0.113.1"));
  CHECK(pub[0].protocol == proto_tcp);
  CHECK(pub[0].port == 80);
  CHECK(pub[0].internal_address == ip("198.18.1.10"));
  CHECK(pub[0].internal_port == 80);
  CHECK(pub[4].protocol == proto_udp);
  CHECK(pub[4].port == 53);
  CHECK(pub[4].internal_address == ip("198.18.1.53"));
  auto t1 = dnat_targets(rs, ip("203.0.113.1"));
  REQUIRE(t1);
  CHECK(*t1 == std::vector<hc::ip_address>{ip("198.18.1.10"), ip("198.18.1.53")});
  auto t2 = rs.dnat_targets(ip("203.0.113.2"));
  REQUIRE(t2);
  CHECK(*t2 == std::vector<hc::ip_address>{ip("198.18.1.20")});
  auto none = dnat_targets(rs, ip("203.0.113.9"));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("iptables reader: user chains, negations, ranges, multiport, addrtype, ports mapping") {
  const char* text = R"(# test
*nat
:PREROUTING ACCEPT [12:720]
:POSTROUTING ACCEPT [0:0]
:PORTFW - [0:0]
[3:180] -A PREROUTING -m addrtype --dst-type LOCAL -j PORTFW
-A PORTFW ! -s 198.18.0.0/255.255.0.0 -i wan+ -p tcp -m tcp --dport 8000:8080 -j DNAT --to-destination 198.18.1.30:80
-A PORTFW -p udp -m multiport --dports 500,4500:4510 -j DNAT --to-destination 198.18.1.40
-A PORTFW -s 10.0.0.1,10.0.0.2 -j RETURN
-A PORTFW -p tcp -m comment --comment "a \"quoted\" comment" -m tcp ! --dport 22 -j LOG --log-prefix "fw: "
-A POSTROUTING -o wan0 -j MASQUERADE --to-ports 1024-65535
COMMIT
)";
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "t.rules", d);
  CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
  const chain* fw = rs.find("ip", "nat", "PORTFW");
  REQUIRE(fw);
  CHECK(fw->hook.empty());
  REQUIRE(fw->rules.size() == 4);
  CHECK(rs.find("ip", "nat", "PREROUTING")->rules.at(0).act == action::jump);
  CHECK(rs.find("ip", "nat", "PREROUTING")->rules.at(0).match.dst_local == true);
  const rule& r0 = fw->rules[0];
  CHECK(r0.match.saddr->negated);
  CHECK(r0.match.saddr->any_of.at(0) == prefix("198.18.0.0/16"));
  CHECK(r0.match.iif->pattern == "wan+");
  CHECK(r0.match.dport->any_of.at(0) == port_range{8000, 8080});
  CHECK(r0.to.addr == ip("198.18.1.30"));
  CHECK(r0.to.ports == port_range{80, 80});
  CHECK(fw->rules[1].match.dport->any_of.at(1) == port_range{4500, 4510});
  CHECK(fw->rules[2].match.saddr->any_of.size() == 2);
  CHECK(fw->rules[2].act == action::ret);
  CHECK(fw->rules[3].act == action::none);
  CHECK(fw->rules[3].match.dport->negated);
  CHECK(rs.find("ip", "nat", "POSTROUTING")->rules.at(0).act == action::masquerade);
  // Published: the DNATs without a destination address are not published (no fixed public address).
  CHECK(published(rs).empty());
  auto t = dnat_targets(rs, ip("203.0.113.5"));
  REQUIRE(t);
  CHECK(t->size() == 2);
}

TEST_CASE("iptables reader: old '-s ! addr' syntax and unknown modules are kept") {
  const char* text = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -s ! 198.18.1.0/24 -m mark --mark 0x1/0xff -m tcp -p tcp --dport 22 -j DROP\nCOMMIT\n";
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "t", d);
  CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
  const rule& r = rs.find("ip", "filter", "FORWARD")->rules.at(0);
  CHECK(r.match.saddr->negated);
  REQUIRE(r.match.unknown.size() == 1);
  CHECK(r.match.unknown[0] == "-m mark --mark 0x1/0xff");
  CHECK(r.match.dport->any_of.at(0) == port_range{22, 22});
  CHECK(r.act == action::drop);
}

TEST_CASE("iptables reader: bad input gives diagnostics with file:line:col and reading goes on") {
  const char* text =
      "-A PREROUTING -j ACCEPT\n"                                         // 1: outside a table
      "*nat\n"                                                            // 2
      ":PREROUTING ACCEPT [0:0]\n"                                        // 3
      ":POSTROUTING MAYBE [0:0]\n"                                        // 4: bad policy
      "-A PREROUTING -d 203.0.113.300 -j DNAT --to-destination 1.2.3.4\n"  // 5: bad address
      "-A NOPE -j ACCEPT\n"                                               // 6: undeclared chain
      "-A PREROUTING -p tcp --dport 99999 -j ACCEPT\n"                    // 7: bad port
      "-A PREROUTING -j DNAT\n"                                           // 8: DNAT without target
      "-A PREROUTING --bogus-option 1 -j ACCEPT\n"                        // 9: unknown option
      "-A PREROUTING -m comment --comment \"unterminated -j ACCEPT\n"     // 10: unterminated quote
      "-A PREROUTING -j NOWHERE_chain\n"                                  // 11: jump to undeclared chain
      "garbage line\n"                                                    // 12
      "-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 198.18.1.10\n"  // 13: fine
      "COMMIT\n"
      "*filter\n";                                                        // never committed
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "bad.rules", d);
  CHECK(d.has_errors());
  std::string all = nat_test::all_text(d);
  CHECK(all.find("bad.rules:1:1: rule outside a table") != std::string::npos);
  CHECK(all.find("bad.rules:4:") != std::string::npos);
  CHECK(all.find("bad.rules:5:18: not an address or prefix near '203.0.113.300'") != std::string::npos);
  CHECK(all.find("bad.rules:6:4: rule for an undeclared chain near 'NOPE'") != std::string::npos);
  CHECK(all.find("bad.rules:7:") != std::string::npos);
  CHECK(all.find("bad.rules:8:1: DNAT without --to-destination") != std::string::npos);
  CHECK(all.find("bad.rules:9:15: unknown option near '--bogus-option'") != std::string::npos);
  CHECK(all.find("bad.rules:10:") != std::string::npos);
  CHECK(all.find("bad.rules:11:1: jump to an undeclared chain near 'NOWHERE_chain'") != std::string::npos);
  CHECK(all.find("bad.rules:12:1: not an iptables-save line near 'garbage'") != std::string::npos);
  CHECK(all.find("not closed by COMMIT") != std::string::npos);
  // The good rule survived.
  auto t = dnat_targets(rs, ip("203.0.113.1"));
  REQUIRE(t);
  CHECK(t->size() == 1);
}

TEST_CASE("iptables reader: empty, missing and binary input") {
  hc::diagnostics d1;
  parse_nat_rules("", "empty", d1);
  CHECK(d1.has_errors());
  hc::diagnostics d2;
  read_nat_rules("/nonexistent/rules", d2);
  REQUIRE(d2.has_errors());
  CHECK(d2.all()[0].str().find("/nonexistent/rules: cannot read the NAT rules") == 0);
  hc::diagnostics d3;
  using namespace std::string_literals;
  std::string bin = "*nat\n:PREROUTING ACCEPT\n-A PREROUTING \0\x01\xff -j ACCEPT\nCOMMIT\n"s;
  parse_nat_rules(bin, "bin", d3);
  CHECK(d3.has_errors());
}

TEST_CASE("iptables reader: every mutation of the bundled rules is read into rules or named in diagnostics") {
  std::string base = nat_test::slurp(nat_test::bundled_rules_path());
  REQUIRE(!base.empty());
  {
    hc::diagnostics d;
    auto rs = parse_nat_rules(base, "fuzz", d);
    CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
    REQUIRE(rs.find("ip", "nat", "PREROUTING"));
    CHECK(rs.find("ip", "nat", "PREROUTING")->rules.size() == 4);
    CHECK(rs.find("ip", "nat", "POSTROUTING")->rules.size() == 5);
    CHECK(rs.find("ip", "filter", "FORWARD")->rules.size() == 4);
    nat_test::check_reading_contract(base, "fuzz", rs, d);
  }
  std::mt19937 rng(12345);
  int clean = 0, diagnosed = 0;
  const std::string alphabet = " -!:/,.*\n\"[]0123456789abcdefgjADNSTRUPW+";
  for (int round = 0; round < 400; ++round) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(pos, 1 + rng() % 12); break;
        default: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
      if (s.empty()) s = "x";
    }
    CAPTURE(s);
    hc::diagnostics d;
    auto rs = parse_nat_rules(s, "fuzz", d);
    CHECK(rs.syntax == rule_syntax::iptables);
    nat_test::check_reading_contract(s, "fuzz", rs, d);
    // A rule is its line as written, and no "-A" line vanishes: it is a rule or an error on that line.
    const auto lines = nat_test::lines_of(s);
    std::vector<bool> has_rule(lines.size() + 1), has_error(lines.size() + 1);
    for (const auto& c : rs.chains)
      for (const auto& r : c.rules) {
        REQUIRE(r.where.line <= lines.size());
        has_rule[r.where.line] = true;
        auto line = lines[r.where.line - 1];
        CHECK(r.text == line.substr(line.find_first_not_of(" \t")));
      }
    // Diagnostics are capped per kind: from the first one held back ("... and N more"), a line's
    // error may be counted in that summary instead of standing on its own.
    std::size_t capped_from = lines.size() + 1;
    for (const auto& x : d.all()) {
      if (x.is_error && x.where.line <= lines.size()) has_error[x.where.line] = true;
      if (x.message.rfind("... and ", 0) == 0) capped_from = std::min<std::size_t>(capped_from, x.where.line);
    }
    for (std::size_t n = 1; n <= lines.size(); ++n) {
      auto line = lines[n - 1];
      auto first = line.find_first_not_of(" \t");
      if (first == std::string_view::npos || line.substr(first, 3) != "-A ") continue;
      CAPTURE(line);
      CHECK((has_rule[n] || has_error[n] || n >= capped_from));
    }
    ++(d.has_errors() ? diagnosed : clean);
  }
  // The mutations exercise both outcomes.
  CHECK(clean > 20);
  CHECK(diagnosed > 100);
}

TEST_CASE("iptables reader: real iptables-save output with user chains, wildcards and quoting") {
  // Captured with iptables-restore < portfw.rules; iptables-save in a scratch network namespace.
  hc::diagnostics d;
  auto rs = read_nat_rules(nat_test::data("portfw.iptables-save"), d);
  CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
  REQUIRE(rs.find("ip", "nat", "PORTFW"));
  CHECK(rs.find("ip", "filter", "LANFWD")->rules.size() == 3);
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 8000, "app.debugo.fr", std::nullopt},
                  {ip("203.0.113.1"), proto_udp, 500, "vpn.debugo.fr", std::nullopt},
                  {ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", std::nullopt}};
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == 3);
  INFO(preds[0].prediction.reason);
  CHECK(preds[0].prediction.result == outcome::dnat_wan_only);  // -i wan+ and ! -s 198.18.0.0/16
  INFO(preds[1].prediction.reason);
  CHECK(preds[1].prediction.result == outcome::works);          // LAN-to-LAN MASQUERADE for DNATed flows
  CHECK(preds[1].prediction.seen_source_text == "the router's lan0 address (in 198.18.1.0/24)");
  CHECK(preds[2].prediction.result == outcome::not_forwarded);
}

TEST_CASE("iptables reader: several quoted tokens on a line keep their own text; rules keep their order") {
  // The quoted tokens of a line are unescaped into one buffer: each keeps its own text. Chains of
  // many rules (their vectors are reserved from a count of the -A lines) keep the order read, with
  // -I rules first; a rejected line is not a rule.
  std::string text = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  text += "-A POSTROUTING -o \"wan \\\"0\\\"\" -m comment --comment \"x \\\\ y\" -j LOG --log-prefix \"pre fix\"\n";  // 4
  for (int k = 0; k < 50; ++k)  // lines 5..54
    text += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport " + std::to_string(1000 + k) + " -j DNAT --to-destination 198.18.1.10\n";
  text += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport nope -j DNAT --to-destination 198.18.1.10\n";  // 55
  text += "-I PREROUTING 1 -i \"lan 0\" -o \"lan 1\" -j ACCEPT\n";  // 56
  text += "-I PREROUTING -d 203.0.113.9 -j ACCEPT\nCOMMIT\n";                  // 57
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "q.rules", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].str() == "q.rules:55:48: not a port or port range near 'nope'");
  const chain* post = rs.find("ip", "nat", "POSTROUTING");
  REQUIRE(post);
  REQUIRE(post->rules.size() == 1);
  REQUIRE(post->rules[0].match.oif);
  CHECK(post->rules[0].match.oif->pattern == "wan \"0\"");
  CHECK(post->rules[0].target == "LOG");
  const chain* pre = rs.find("ip", "nat", "PREROUTING");
  REQUIRE(pre);
  REQUIRE(pre->rules.size() == 52);
  CHECK(pre->rules[0].where.line == 57);  // -I rules: the last one read comes first
  REQUIRE(pre->rules[1].match.iif);
  CHECK(pre->rules[1].match.iif->pattern == "lan 0");
  CHECK(pre->rules[1].match.oif->pattern == "lan 1");
  for (std::size_t k = 0; k < 50; ++k) {
    const rule& r = pre->rules[k + 2];
    CHECK(r.where.line == k + 5);
    REQUIRE(r.match.dport);
    CHECK(r.match.dport->any_of.at(0).first == 1000 + k);
  }
  CHECK(pre->rules[2].text == "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport 1000 -j DNAT --to-destination 198.18.1.10");
}

TEST_CASE("readers: random bytes and huge lines give diagnostics, never a crash") {
  std::mt19937 rng(777);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 400, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    if (round % 3 == 0 && !s.empty()) s[0] = '{';
    if (round % 3 == 1) s = "*nat\n:PREROUTING ACCEPT\n-A PREROUTING " + s + "\nCOMMIT\n";
    hc::diagnostics d;
    auto rs = parse_nat_rules(s, "random", d);
    nat_test::check_reading_contract(s, "random", rs, d);
  }
  std::string huge = "*nat\n:PREROUTING ACCEPT\n-A PREROUTING " + std::string(1 << 20, 'x') + "\nCOMMIT\n";
  hc::diagnostics d;
  parse_nat_rules(huge, "huge", d);
  REQUIRE(d.has_errors());
  CHECK(d.all()[0].where.line == 3);
  std::string many_jumps = "*nat\n:PREROUTING ACCEPT\n-A PREROUTING -d 203.0.113.1 -j DNAT --to-destination 198.18.1.53\nCOMMIT\n"
                           "*filter\n:FORWARD DROP\n:A - [0:0]\n:B - [0:0]\n-A FORWARD -j A\n-A A -j B\n-A B -j A\nCOMMIT\n";
  hc::diagnostics d2;
  auto loop = parse_nat_rules(many_jumps, "loop", d2);
  CHECK(d2.all().empty());
  auto p = predict(loop, {ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53}, nat_test::lan_context());
  CHECK(p.result == outcome::unknown);
  CHECK(p.reason.find("jumps loop") != std::string::npos);
}

TEST_CASE("NAT rules: a FIFO or a device is not read (no hang, no unbounded memory)") {
  std::string dir = std::filesystem::temp_directory_path() / "hc-nat-fifo-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()));
  std::string fifo = dir + "/rules";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  hc::diagnostics d1;
  auto rs = read_nat_rules(fifo, d1);
  CHECK(rs.errors == 1);
  REQUIRE(d1.all().size() == 1);
  CHECK(d1.all()[0].str() == fifo + ": cannot read the NAT rules: not a regular file");
  hc::diagnostics d2;
  read_nat_rules("/dev/zero", d2);
  REQUIRE(d2.all().size() == 1);
  CHECK(d2.all()[0].str() == "/dev/zero: cannot read the NAT rules: not a regular file");
  std::filesystem::remove_all(dir);
}
