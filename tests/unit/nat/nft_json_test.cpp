#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <regex>

#include "nat/detail.hpp"
#include "nat/nat.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;
using nat_test::prefix;

namespace {

const hc::finding* find(const std::vector<hc::finding>& fs, const std::string& service) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const hc::finding& f) { return f.service == service; });
  return it == fs.end() ? nullptr : &*it;
}

// Written by hand in the shape of `nft -j list ruleset`, pretty-printed so that lines mean something.
const char* hand_written = R"({"nftables": [
  {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
  {"table": {"family": "ip", "name": "nat", "handle": 1}},
  {"chain": {"family": "ip", "table": "nat", "name": "prerouting", "handle": 1, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
  {"chain": {"family": "ip", "table": "nat", "name": "postrouting", "handle": 2, "type": "nat", "hook": "postrouting", "prio": "srcnat", "policy": "accept"}},
  {"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 4, "expr": [
    {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "203.0.113.1"}},
    {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 53}},
    {"counter": {"packets": 0, "bytes": 0}},
    {"dnat": {"addr": "198.18.1.53"}}]}},
  {"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 5, "expr": [
    {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "203.0.113.1"}},
    {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [8000, 8080]}}},
    {"dnat": {"addr": "198.18.1.30", "port": 80}}]}},
  {"rule": {"family": "ip", "table": "nat", "chain": "postrouting", "handle": 6, "expr": [
    {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "198.18.1.0", "len": 24}}}},
    {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "198.18.1.0", "len": 24}}}},
    {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "wan0"}},
    {"snat": {"addr": "203.0.113.1"}}]}},
  {"table": {"family": "ip", "name": "filter", "handle": 2}},
  {"chain": {"family": "ip", "table": "filter", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
  {"rule": {"family": "ip", "table": "filter", "chain": "forward", "handle": 2, "expr": [
    {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
    {"accept": null}]}},
  {"rule": {"family": "ip", "table": "filter", "chain": "forward", "handle": 3, "expr": [
    {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lan0"}},
    {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "lan0"}},
    {"match": {"op": "in", "left": {"ct": {"key": "status"}}, "right": "dnat"}},
    {"accept": null}]}},
  {"rule": {"family": "ip", "table": "filter", "chain": "forward", "handle": 4, "expr": [
    {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lan0"}},
    {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "wan0"}},
    {"accept": null}]}}
]}
)";

ruleset read_ok(const std::string& path) {
  hc::diagnostics d;
  auto rs = read_nat_rules(path, d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  return rs;
}

}  // namespace

TEST_CASE("nft reader: captured `nft -j list ruleset` of the bundled rules") {
  auto rs = read_ok(nat_test::data("router.nft.json"));
  CHECK(rs.syntax == rule_syntax::nft);
  const chain* pre = rs.find("ip", "nat", "prerouting");
  REQUIRE(pre);
  CHECK(pre->hook == "prerouting");
  CHECK(pre->priority == -100);
  REQUIRE(pre->rules.size() == 4);
  CHECK(pre->rules[0].text == "ip daddr 203.0.113.1 tcp dport { 80, 443 } dnat to 198.18.1.10");
  CHECK(pre->rules[0].handle == 4);
  CHECK(pre->rules[0].where.line == 1);
  CHECK(pre->rules[0].where.column > 1);
  const chain* fwd = rs.find("ip", "filter", "forward");
  REQUIRE(fwd);
  CHECK(fwd->policy_drop);
  CHECK(fwd->rules.at(0).match.ct.at(0).any_of == (ct_established | ct_related));
  CHECK(fwd->rules.at(3).match.ct.at(0).any_of == ct_dnat);
  auto pub = published(rs);
  CHECK(pub.size() == 6);
  auto t = dnat_targets(rs, ip("203.0.113.1"));
  REQUIRE(t);
  CHECK(*t == std::vector<hc::ip_address>{ip("198.18.1.10"), ip("198.18.1.53")});
  auto ctx = nat_test::lan_context();
  CHECK(analyse(rs, ctx).empty());
  for (const auto& sp : predict_services(rs, ctx)) {
    INFO(sp.prediction.reason);
    CHECK(sp.prediction.result == outcome::works);
  }
}

TEST_CASE("nft reader: captured broken inet rule set gives every kind of finding with nft fixes") {
  auto rs = read_ok(nat_test::data("broken.nft.json"));
  auto ctx = nat_test::lan_context();
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 6);
  const hc::finding* https = find(fs, "https");
  REQUIRE(https);
  CHECK(https->kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(https->fix == "nft add rule inet router prerouting iifname \"lan0\" ip daddr 203.0.113.1 tcp dport 443 dnat ip to 198.18.1.10");
  CHECK(https->evidence.find("iifname \"wan0\" ip daddr 203.0.113.1 tcp dport @web_ports dnat to 198.18.1.10 (handle 5)") !=
        std::string::npos);
  CHECK(find(fs, "http")->kind == hc::finding_kind::nat_dnat_wan_only);
  const hc::finding* smtp = find(fs, "smtp");
  REQUIRE(smtp);
  CHECK(smtp->kind == hc::finding_kind::nat_forward_drop);
  CHECK(smtp->fix == "nft insert rule inet router forward iifname \"lan0\" oifname \"lan0\" ip daddr 198.18.1.20 tcp dport 25 ct status dnat accept");
  CHECK(smtp->evidence.find("policy drop") != std::string::npos);
  CHECK(find(fs, "imaps")->kind == hc::finding_kind::nat_forward_drop);
  const hc::finding* udp = find(fs, "dns/udp");
  REQUIRE(udp);
  CHECK(udp->kind == hc::finding_kind::nat_snat_into_internal_view);
  CHECK(udp->evidence.find("masquerade (handle") != std::string::npos);
  CHECK(udp->evidence.find("the router's lan0 address") != std::string::npos);
  CHECK(udp->fix == "nft insert rule inet router postrouting ip saddr 198.18.1.0/24 ip daddr 198.18.1.53 udp dport 53 snat ip to 203.0.113.1");
  const hc::finding* tcp = find(fs, "dns/tcp");
  REQUIRE(tcp);
  CHECK(tcp->kind == hc::finding_kind::nat_no_loopback);
  CHECK(tcp->fix == "nft add rule inet router postrouting ip saddr 198.18.1.0/24 ip daddr 198.18.1.53 tcp dport 53 snat ip to 203.0.113.1");
}

TEST_CASE("nft reader: hand-written JSON with pretty lines, ranges, ports and prio names") {
  hc::diagnostics d;
  auto rs = parse_nat_rules(hand_written, "hand.json", d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  const chain* post = rs.find("ip", "nat", "postrouting");
  REQUIRE(post);
  CHECK(post->priority == 100);
  const chain* pre = rs.find("ip", "nat", "prerouting");
  REQUIRE(pre);
  REQUIRE(pre->rules.size() == 2);
  CHECK(pre->rules[0].where.line == 6);
  CHECK(pre->rules[0].where.column == 12);
  CHECK(pre->rules[0].text == "ip daddr 203.0.113.1 udp dport 53 counter dnat to 198.18.1.53");
  CHECK(pre->rules[1].to.ports == port_range{80, 80});
  CHECK(pre->rules[1].match.dport->any_of.at(0) == port_range{8000, 8080});
  auto ctx = nat_test::lan_context();
  flow f{ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53};
  auto p = predict(rs, f, ctx);
  CHECK(p.result == outcome::no_loopback);
  CHECK(p.reason.find("hand.json:6:12: ip daddr 203.0.113.1 udp dport 53 counter dnat to 198.18.1.53 (handle 4)") == 0);
  CHECK(p.fix == "nft add rule ip nat postrouting ip saddr 198.18.1.0/24 ip daddr 198.18.1.53 udp dport 53 snat to 203.0.113.1");
  CHECK(summary(p, f) == "predicted: no loopback SNAT for udp/53");
  flow g{ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 8080};
  auto q = predict(rs, g, ctx);
  CHECK(q.result == outcome::no_loopback);
  CHECK(q.dnat_port == 80);
  CHECK(q.fix == "nft add rule ip nat postrouting ip saddr 198.18.1.0/24 ip daddr 198.18.1.30 tcp dport 80 snat to 203.0.113.1");
}

TEST_CASE("nft reader: an expression it does not know makes the prediction unknown") {
  std::string text = hand_written;
  // A mark match before the DNAT: "meta mark 0x1 accept".
  std::string unknown_rule =
      R"({"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 3, "expr": [)"
      R"({"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}, {"accept": null}]}},)";
  auto at = text.find(R"({"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 4)");
  REQUIRE(at != std::string::npos);
  text.insert(at, unknown_rule + "\n  ");
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "hand.json", d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  flow f{ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53};
  auto p = predict(rs, f, nat_test::lan_context());
  CHECK(p.result == outcome::unknown);
  CHECK(p.reason.find("meta mark 1") != std::string::npos);
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE_FALSE(fs.empty());
  for (const auto& f : fs) CHECK(f.kind == hc::finding_kind::nat_unsimulated);
  // xtables compatibility expressions are unknown too.
  std::string xt = hand_written;
  auto pos = xt.find(R"({"counter": {"packets": 0, "bytes": 0}})");
  REQUIRE(pos != std::string::npos);
  xt.replace(pos, std::string(R"({"counter": {"packets": 0, "bytes": 0}})").size(), R"({"xt": {"type": "match", "name": "recent"}})");
  hc::diagnostics d2;
  auto rs2 = parse_nat_rules(xt, "xt.json", d2);
  CHECK(predict(rs2, f, nat_test::lan_context()).result == outcome::unknown);
}

TEST_CASE("nft reader: bad JSON and bad shapes give diagnostics with line:col or the JSON path") {
  SUBCASE("syntax error") {
    hc::diagnostics d;
    parse_nat_rules("{\"nftables\": [\n  {\"table\": }\n]}", "bad.json", d);
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].where.line == 2);
    CHECK(d.all()[0].str().find("bad.json:2:") == 0);
  }
  SUBCASE("no nftables array") {
    hc::diagnostics d;
    parse_nat_rules("{\"tables\": []}", "bad.json", d);
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].str() == "bad.json:1:1: not an nft JSON ruleset: no \"nftables\" array at the top");
  }
  SUBCASE("bad rule contents") {
    std::string text = hand_written;
    auto pos = text.find("\"addr\": \"198.18.1.53\"");
    text.replace(pos, 21, "\"addr\": \"198.18.1.999\"");
    auto pos2 = text.find("{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"forward\", \"handle\": 2");
    REQUIRE(pos2 != std::string::npos);
    text.insert(pos2, "{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"forward\", \"handle\": 9, \"expr\": 7}},\n  ");
    hc::diagnostics d;
    auto rs = parse_nat_rules(text, "bad.json", d);
    std::string all = nat_test::all_text(d);
    CHECK(all.find("bad.json:10:14: nftables[4].rule.expr[3].dnat.addr: not an address near '198.18.1.999'") != std::string::npos);
    CHECK(all.find("nftables[9].rule: rule without \"expr\" array") != std::string::npos);
    // The other rules are still there.
    REQUIRE(rs.find("ip", "nat", "prerouting"));
    CHECK(rs.find("ip", "nat", "prerouting")->rules.size() == 1);
  }
  SUBCASE("wrong types everywhere") {
    const char* texts[] = {
        R"({"nftables": 5})",
        R"({"nftables": [1, "x", null, [], {"rule": 5}, {"chain": []}, {"rule": {"family": "ip"}}]})",
        R"({"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c", "prio": "nope"}}]})",
        R"({"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c", "hook": "prerouting", "type": "nat", "prio": 1.5, "policy": "maybe"}}]})",
        R"({"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c", "hook": "prerouting", "type": "nat"}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": 1}, {"dnat": {}}]}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": {"left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [{"range": [9, 1]}]}}}]}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": {"left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": 5, "len": "x"}}}}]}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"jump": {"target": "nowhere"}}]}},
            {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"accept": null}, {"drop": null}]}},
            {"rule": {"family": "ip", "table": "t", "chain": "zz", "expr": []}}]})",
        "{\"nftables\": [\"\\u0000\\ud800\"]}",
        "{",
        "{\"nftables\": [1e999999]}",
    };
    for (const char* t : texts) {
      hc::diagnostics d;
      auto rs = parse_nat_rules(t, "w.json", d);
      CHECK_MESSAGE(d.has_errors(), t);
      auto fs = analyse(rs, nat_test::lan_context());
      CHECK(fs.empty());
    }
  }
  SUBCASE("deep nesting is refused, not recursed into") {
    std::string deep = "{\"nftables\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    hc::diagnostics d;
    parse_nat_rules(deep, "deep.json", d);
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].message.find("nested too deeply") != std::string::npos);
  }
}

TEST_CASE("nft reader: every mutation of captured JSON is read into rules or named in diagnostics") {
  std::string base = nat_test::slurp(nat_test::data("broken.nft.json"));
  REQUIRE(!base.empty());
  // A rule object is one rule here: the capture has no verdict map or concatenation to expand.
  const std::regex rule_object(R"(\{\s*"rule"\s*:)");
  auto rule_objects = [&](const std::string& s) {
    return std::distance(std::sregex_iterator(s.begin(), s.end(), rule_object), std::sregex_iterator());
  };
  auto rule_count = [](const ruleset& rs) {
    std::ptrdiff_t n = 0;
    for (const auto& c : rs.chains) n += static_cast<std::ptrdiff_t>(c.rules.size());
    return n;
  };
  {
    hc::diagnostics d;
    auto rs = parse_nat_rules(base, "fuzz.json", d);
    CHECK_MESSAGE(d.all().empty(), nat_test::all_text(d));
    CHECK(rs.syntax == rule_syntax::nft);
    CHECK(rs.chains.size() == 3);
    CHECK(rule_count(rs) == 9);
    CHECK(rule_objects(base) == 9);
    nat_test::check_reading_contract(base, "fuzz.json", rs, d);
  }
  std::mt19937 rng(4242);
  int clean = 0, diagnosed = 0;
  const std::string alphabet = "{}[]\":,0123456789abcdefnrtu \\-.";
  for (int round = 0; round < 300; ++round) {
    std::string s = nat_test::mutate(base, rng, alphabet, "{");
    CAPTURE(s);
    hc::diagnostics d;
    auto rs = parse_nat_rules(s, "fuzz.json", d);
    nat_test::check_reading_contract(s, "fuzz.json", rs, d);
    auto first = s.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && s[first] == '{') CHECK(rs.syntax == rule_syntax::nft);
    else CHECK(d.has_errors());  // read as iptables-save, which JSON is not
    // Read without errors: every rule object became a rule, none was dropped silently.
    if (!d.has_errors()) CHECK(rule_count(rs) == rule_objects(s));
    ++(d.has_errors() ? diagnosed : clean);
  }
  // The mutations exercise both outcomes.
  CHECK(clean > 10);
  CHECK(diagnosed > 100);
}

TEST_CASE("read_nat_rules detects the syntax by content") {
  auto nft = read_ok(nat_test::data("router.nft.json"));
  CHECK(nft.syntax == rule_syntax::nft);
  auto ipt = read_ok(nat_test::bundled_rules_path());
  CHECK(ipt.syntax == rule_syntax::iptables);
  hc::diagnostics d;
  auto pretty = parse_nat_rules("\n  \n" + std::string(hand_written), "x", d);
  CHECK(pretty.syntax == rule_syntax::nft);
}

TEST_CASE("nft reader: iptables-nft rules listed by nft keep xt matches and targets unknown") {
  // The same rules as portfw.iptables-save, listed with `nft -j list ruleset` (iptables-nft backend).
  auto rs = read_ok(nat_test::data("portfw.iptables-nft.json"));
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_udp, 500, "vpn.debugo.fr", std::nullopt}};
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == 1);
  CHECK(preds[0].prediction.result == outcome::unknown);
  CHECK(preds[0].prediction.reason.find("xt ") != std::string::npos);
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_unsimulated);
  CHECK(fs[0].evidence.find("xt ") != std::string::npos);
  // A DNAT hidden in an xt target is never a certain "not forwarded".
  auto t = dnat_targets(rs, ip("203.0.113.1"));
  CHECK_FALSE(t.has_value());
}

TEST_CASE("nft reader: verdict maps and concatenations expand to one rule per element") {
  // Captured from vmap.nft: ct state vmap, iifname . oifname { "lan0" . "lan0" }, udp dport vmap.
  auto rs = read_ok(nat_test::data("vmap.nft.json"));
  const chain* fwd = rs.find("inet", "fw", "forward");
  REQUIRE(fwd);
  REQUIRE(fwd->rules.size() == 3 + 1 + 2);
  CHECK(fwd->rules[0].match.ct.at(0).any_of == ct_invalid);
  CHECK(fwd->rules[0].act == action::drop);
  CHECK(fwd->rules[1].match.ct.at(0).any_of == ct_established);
  CHECK(fwd->rules[1].act == action::accept);
  CHECK(fwd->rules[3].match.iif->pattern == "lan0");
  CHECK(fwd->rules[3].match.oif->pattern == "lan0");
  CHECK(fwd->rules[3].match.ct.at(0).any_of == ct_dnat);
  CHECK(fwd->rules[4].match.dport->any_of.at(0) == port_range{53, 53});
  CHECK(fwd->rules[4].act == action::accept);
  CHECK(fwd->rules[5].act == action::drop);
  CHECK(fwd->rules[0].text == "ct state vmap { invalid : drop, established : accept, related : accept }");
  // Together with the bundled NAT rules (nft), the looped-back flow passes this FORWARD chain.
  std::string nat = nat_test::slurp(nat_test::data("router.nft.json"));
  std::string fw = nat_test::slurp(nat_test::data("vmap.nft.json"));
  // Keep the NAT tables of router.nft.json, replace its filter table by the vmap chain.
  auto nat_doc = nat.substr(0, nat.find(R"(, {"table": {"family": "ip", "name": "filter")"));
  auto fw_items = fw.substr(fw.find(R"({"table": {"family": "inet")"));
  std::string combined = nat_doc + ", " + fw_items;
  hc::diagnostics d;
  auto both = parse_nat_rules(combined, "combined.json", d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  flow f{ip("198.18.1.99"), ip("203.0.113.1"), proto_udp, 53};
  auto ctx = nat_test::lan_context();
  auto p = predict(both, f, ctx);
  INFO(p.reason);
  CHECK(p.result == outcome::works);
  flow g{ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 443};
  auto q = predict(both, g, ctx);
  CHECK(q.result == outcome::works);
}

TEST_CASE("nft reader: streamed, the outcome does not depend on where chains and sets stand in the text") {
  const std::string chain = R"({"chain": {"family": "ip", "table": "nat", "name": "pre", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}})";
  const std::string set = R"({"set": {"family": "ip", "table": "nat", "name": "pub", "type": "ipv4_addr", "elem": ["203.0.113.1"]}})";
  const std::string bad_chain = R"({"chain": {"family": "ip", "table": "nat", "name": "odd", "prio": "nope"}})";
  const std::string rule1 = R"({"rule": {"family": "ip", "table": "nat", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@pub"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 443}}, {"dnat": {"addr": "198.18.1.10"}}]}})";
  const std::string rule2 = R"({"rule": {"family": "ip", "table": "nat", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"dnat": {"addr": "198.18.1.999"}}]}})";
  const std::string rule3 = R"({"rule": {"family": "ip", "table": "nat", "chain": "pre", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 25}}, {"dnat": {"addr": "198.18.1.25"}}]}})";
  auto doc = [](const std::vector<std::string>& items) {
    std::string out = "{\"nftables\": [\n";
    for (std::size_t i = 0; i < items.size(); ++i) out += items[i] + (i + 1 < items.size() ? ",\n" : "\n");
    return out + "]}";
  };
  auto read = [](const std::string& text, std::vector<std::string>& messages) {
    hc::diagnostics d;
    auto rs = parse_nat_rules(text, "s.json", d);
    for (const auto& x : d.all()) messages.push_back(x.message);
    std::vector<std::string> rules;
    for (const auto& c : rs.chains)
      for (const auto& r : c.rules) rules.push_back(c.name + ": " + r.text);
    return rules;
  };
  std::vector<std::string> m_first, m_last;
  auto first = read(doc({chain, set, bad_chain, rule1, rule2, rule3}), m_first);
  auto last = read(doc({rule1, rule2, bad_chain, rule3, set, chain}), m_last);
  REQUIRE(first.size() == 2);  // the rule with a bad address is dropped
  CHECK(first[0] == "pre: ip daddr @pub tcp dport 443 dnat to 198.18.1.10");
  CHECK(first[1] == "pre: tcp dport 25 dnat to 198.18.1.25");
  // The rules keep their order in the text; the chain error comes before the rule errors.
  CHECK(last == first);
  REQUIRE(m_first.size() == 2);
  CHECK(m_first[0].find("unknown chain priority") != std::string::npos);
  CHECK(m_first[1].find("not an address") != std::string::npos);
  REQUIRE(m_last.size() == 2);
  CHECK(m_last[0].find("nftables[2].chain") == 0);
  CHECK(m_last[1].find("nftables[1].rule") == 0);

  SUBCASE("a syntax error at the end replaces everything read before it") {
    std::vector<std::string> m;
    auto rules = read(doc({chain, rule3}) + ",", m);
    CHECK(rules.empty());
    REQUIRE(m.size() == 1);
    CHECK(m[0].find("not valid JSON") == 0);
  }
  SUBCASE("the last \"nftables\" array counts, as in a parsed document") {
    std::vector<std::string> m;
    std::string two = doc({chain, rule3});
    two.insert(two.size() - 1, ", \"nftables\": [" + chain + "]");
    auto rules = read(two, m);
    CHECK(m.empty());
    CHECK(rules.empty());
  }
}

namespace {

// What a reading gives, in one text: every diagnostic with its file:line:col, every chain and rule
// with its position, verdict, handle and text.
std::string reading_of(const std::string& text) {
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "p.json", d);
  std::string out;
  for (const auto& x : d.all()) out += x.str() + "\n";
  for (const auto& c : rs.chains) {
    out += c.family + " " + c.table + " " + c.name + " " + c.hook + " " + std::to_string(c.priority) + " @" +
           std::to_string(c.where.line) + ":" + std::to_string(c.where.column) + "\n";
    for (const auto& r : c.rules)
      out += "  @" + std::to_string(r.where.line) + ":" + std::to_string(r.where.column) + " #" +
             std::to_string(r.handle) + " " + std::to_string(static_cast<int>(r.act)) + " " + r.target + " | " + r.text + "\n";
  }
  return out;
}

// The same document with a string that has an escape (an ASCII "A" as \u0041) added at the end of
// the top object, where it moves no position: the reader's fast path takes only plain texts, so
// this one goes through nlohmann's parser.
std::string with_escape(const std::string& text) {
  auto end = text.rfind('}');
  return text.substr(0, end) + ", \"zz\": \"\\u0041\"" + text.substr(end);
}

}  // namespace

TEST_CASE("nft reader: a plain text (fast path) reads as the same text through nlohmann's parser") {
  std::vector<std::string> texts = {hand_written};
  for (const char* f : {"router.nft.json", "features.nft.json", "vmap.nft.json", "broken.nft.json", "fw4.nft.json",
                        "portfw-nft.nft.json", "portfw.iptables-nft.json"})
    texts.push_back(nat_test::slurp(nat_test::data(f)));
  const std::string chain = R"({"chain": {"family": "ip", "table": "nat", "name": "pre", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}})";
  const std::string dnat = R"({"dnat": {"addr": "198.18.1.10"}})";
  auto rule = [](const std::string& exprs, const std::string& extra = "") {
    return R"({"rule": {"family": "ip", "table": "nat", "chain": "pre")" + extra + R"(, "expr": [)" + exprs + "]}}";
  };
  auto doc = [](const std::vector<std::string>& items) {
    std::string out = "{\"nftables\": [\n";
    for (std::size_t i = 0; i < items.size(); ++i) out += "  " + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
    return out + "]}";
  };
  // A rule before its chain; keys in an unusual order; a duplicate key; numbers past 64 bits and at
  // the edge; an empty object among the expressions; a verdict map element with a bad jump; a set
  // element that is not an address; unknown items and top keys.
  texts.push_back(doc({rule(dnat), chain}));
  texts.push_back(doc({R"({"chain": {"policy": "accept", "prio": -100, "hook": "prerouting", "type": "nat", "name": "pre", "table": "nat", "family": "ip"}})",
                       R"({"rule": {"expr": [{"dnat": {"addr": "198.18.1.10"}}], "chain": "pre", "table": "nat", "family": "ip"}})"}));
  texts.push_back(doc({chain, rule(dnat, R"(, "family": "ip6")")}));
  texts.push_back(doc({chain, rule(dnat, R"(, "handle": 18446744073709551616)"), rule(dnat, R"(, "handle": 18446744073709551615)"),
                       rule(dnat, R"(, "handle": -9223372036854775808)"), rule(dnat, R"(, "handle": -9223372036854775809)")}));
  texts.push_back(doc({chain, rule(R"({"counter": null}, {"counter": null}, {}, {"counter": null}, )" + dnat)}));
  texts.push_back(doc({chain, rule(R"({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 443}}, {"dnat": -1})")}));
  texts.push_back(doc({chain, R"({"chain": {"family": "ip", "table": "nat", "name": "svc"}})",
                       rule(R"({"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": {"set": [[80, {"jump": {"target": "svc"}}], [443, {"jump": {}}]]}}})")}));
  texts.push_back(doc({chain, R"({"set": {"family": "ip", "table": "nat", "name": "s", "elem": ["203.0.113.1", {"prefix": {"addr": "x", "len": 8}}]}})",
                       rule(R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@s"}}, )" + dnat)}));
  texts.push_back("{\"other\": {\"a\": [1, {\"b\": null}, true, false]},\n\"nftables\": [1, \"x\", null, {}, {\"a\": 1, \"b\": 2}, {\"what\": {}},\n" +
                  chain + ",\n" + rule(dnat) + "]}");
  for (const auto& text : texts) {
    CAPTURE(text);
    std::string plain = reading_of(text);
    std::string escaped = reading_of(with_escape(text));
    CHECK(plain == escaped);
    CHECK(!plain.empty());
  }

  SUBCASE("an error in an object that more values followed in its array has the object's line:col") {
    std::string text = doc({chain, rule(R"({"counter": null}, {"counter": null}, {}, {"counter": null}, )" + dnat)});
    auto at = text.find("{}, ");
    REQUIRE(at != std::string::npos);
    auto column = at - text.rfind('\n', at);
    std::string expect = "p.json:3:" + std::to_string(column) + ": nftables[1].rule.expr[2]: expected an object with one key";
    CHECK(reading_of(text).find(expect) == 0);
    CHECK(reading_of(with_escape(text)).find(expect) == 0);
  }
  SUBCASE("a truncated file: not valid JSON at its end, and nothing read") {
    std::string text = doc({chain, rule(dnat)});
    text.resize(text.size() - 10);
    hc::diagnostics d;
    auto rs = parse_nat_rules(text, "p.json", d);
    REQUIRE(d.all().size() == 1);
    CHECK(d.all()[0].str().find("p.json:3:") == 0);
    CHECK(d.all()[0].message.find("not valid JSON: syntax error") == 0);
    CHECK(rs.chains.empty());
  }
  SUBCASE("nesting: 64 levels are read, 65 refused") {
    auto nested = [](int levels) {  // the top object and the nftables array are two of them
      return "{\"nftables\": [" + std::string(static_cast<std::size_t>(levels - 2), '[') +
             std::string(static_cast<std::size_t>(levels - 2), ']') + "]}";
    };
    CHECK(reading_of(nested(64)).find("nested too deeply") == std::string::npos);
    CHECK(reading_of(nested(65)).find("p.json:1:1: JSON nested too deeply for an nft ruleset") == 0);
  }
}

// Rules of chains that share a name, alternating, in chains and rule sets past the size where the
// reader reserves room by the rest of the text (4,096), and a second "nftables" key that replaces
// the first: every rule lands in its own chain, in order, as through nlohmann's parser.
TEST_CASE("nft reader: many chains, rules alternating between chains of one name, a second nftables key") {
  const std::size_t n = 4200;
  auto chain = [](const std::string& table, const std::string& name) {
    return R"({"chain": {"family": "ip", "table": ")" + table + R"(", "name": ")" + name + R"("}})";
  };
  auto rule = [](const std::string& table, const std::string& name, std::size_t handle) {
    return R"({"rule": {"family": "ip", "table": ")" + table + R"(", "chain": ")" + name + R"(", "handle": )" +
           std::to_string(handle) + R"(, "expr": [{"accept": null}]}})";
  };
  std::string items = chain("a", "c") + ",\n" + chain("b", "c");
  for (std::size_t i = 0; i < n; ++i) items += ",\n" + chain("a", "x" + std::to_string(i));
  for (std::size_t i = 0; i < 2 * n; ++i) items += ",\n" + rule(i % 2 ? "b" : "a", "c", i + 1);
  for (std::size_t i = 0; i < n; ++i) items += ",\n" + rule("a", "x" + std::to_string(i), 100000 + i);
  // One key (the fast path), and two (a duplicate key: nlohmann's parser) where the first, with the
  // chains in the other order and one rule, is replaced by the second.
  std::string one_key = "{\"nftables\": [\n" + items + "\n]}";
  std::string two_keys = "{\"nftables\": [" + chain("b", "c") + ",\n" + chain("a", "c") + ",\n" + rule("a", "c", 7) +
                         "],\n\"nftables\": [\n" + items + "\n]}";
  for (const std::string* t : {&one_key, &two_keys}) {
    const std::string& text = *t;
    hc::diagnostics d;
    auto rs = parse_nat_rules(text, "many.json", d);
    INFO(nat_test::all_text(d));
    CHECK(d.all().empty());
    REQUIRE(rs.chains.size() == n + 2);
    const auto& a = rs.chains[0];
    const auto& b = rs.chains[1];
    CHECK(a.table == "a");
    CHECK(b.table == "b");
    REQUIRE(a.rules.size() == n);
    REQUIRE(b.rules.size() == n);
    bool in_order = true;
    for (std::size_t k = 0; k < n; ++k)
      in_order = in_order && a.rules[k].handle == 2 * k + 1 && b.rules[k].handle == 2 * k + 2;
    CHECK(in_order);
    bool one_each = true;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& x = rs.chains[i + 2];
      one_each =
          one_each && x.name == "x" + std::to_string(i) && x.rules.size() == 1 && x.rules[0].handle == 100000 + i;
    }
    CHECK(one_each);
    CHECK(reading_of(text) == reading_of(with_escape(text)));
  }
}

// Jumps resolved while reading: chains of one name in two tables, declared interleaved, reached in
// order (the reader tries the chain declared after the last target first), in reverse, twice, by
// goto, and the rules of each chain listed in and out of the declaration order. Each jump goes to
// the chain of its own table with the target's name, as detail::resolve_jumps finds it by key.
TEST_CASE("nft reader: jumps go to the chain of their own table, whatever the order of the chains") {
  auto chain = [](const std::string& table, const std::string& name, bool base) {
    return R"({"chain": {"family": "ip", "table": ")" + table + R"(", "name": ")" + name + '"' +
           (base ? R"(, "type": "nat", "hook": "prerouting", "prio": -100)" : "") + "}}";
  };
  auto rule = [](const std::string& table, const std::string& name, const std::string& verdict) {
    return R"({"rule": {"family": "ip", "table": ")" + table + R"(", "chain": ")" + name + R"(", "expr": [)" +
           verdict + "]}}";
  };
  auto jump = [](const std::string& target, const char* how = "jump") {
    return std::string(R"({")") + how + R"(": {"target": ")" + target + R"("}})";
  };
  const int n = 10;
  std::string items = chain("a", "pre", true) + ",\n" + chain("b", "pre", true);
  for (int i = 0; i < n; ++i)
    items += ",\n" + chain("a", "s" + std::to_string(i), false) + ",\n" + chain("b", "s" + std::to_string(i), false);
  for (int i = 0; i < n; ++i) items += ",\n" + rule("a", "pre", jump("s" + std::to_string(i)));
  for (int i = n - 1; i >= 0; --i) items += ",\n" + rule("b", "pre", jump("s" + std::to_string(i)));
  items += ",\n" + rule("b", "pre", jump("s3")) + ",\n" + rule("b", "pre", jump("s4", "goto"));
  for (int i = 0; i < n; ++i) {  // b's rules first for the odd chains
    std::string s = "s" + std::to_string(i);
    if (i % 2) items += ",\n" + rule("b", s, R"({"accept": null})") + ",\n" + rule("a", s, R"({"drop": null})");
    else items += ",\n" + rule("a", s, R"({"drop": null})") + ",\n" + rule("b", s, R"({"accept": null})");
  }
  const std::string text = "{\"nftables\": [\n" + items + "\n]}";
  for (const std::string& t : {text, with_escape(text)}) {  // the fast path and nlohmann's parser
    hc::diagnostics d;
    auto rs = parse_nat_rules(t, "jumps.json", d);
    INFO(nat_test::all_text(d));
    CHECK(d.all().empty());
    REQUIRE(rs.chains.size() == 2 + 2 * n);
    REQUIRE(rs.index);
    const auto& jumps = rs.index->jumps;
    CHECK(jumps.target == detail::resolve_jumps(rs, detail::chains_by_key(rs)).target);
    int seen = 0;
    bool each_right = true;
    for (std::size_t c = 0; c < rs.chains.size(); ++c) {
      const auto& ch = rs.chains[c];
      for (std::size_t r = 0; r < ch.rules.size(); ++r) {
        const auto& ru = ch.rules[r];
        if (ru.act != action::jump && ru.act != action::go) {
          each_right = each_right && jumps.of(c, r) == detail::jump_targets::none;
          continue;
        }
        ++seen;
        auto to = jumps.of(c, r);
        each_right = each_right && to < rs.chains.size() && rs.chains[to].table == ch.table &&
                     rs.chains[to].name == ru.target;
      }
      if (ch.name != "pre") {  // the rule of each table's own chain
        REQUIRE(ch.rules.size() == 1);
        CHECK(ch.rules[0].act == (ch.table == "a" ? action::drop : action::accept));
      }
    }
    CHECK(seen == 2 * n + 2);
    CHECK(each_right);
  }
}
