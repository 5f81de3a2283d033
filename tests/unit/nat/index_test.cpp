// The indexes that keep reading and simulating linear (chains by name, rules by destination, sets as
// hash look-ups, de-duplication by hash): they must give exactly what a scan gives.

#include <doctest/doctest.h>

#include <algorithm>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "nat/nat.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;
using nat_test::prefix;

namespace {

ruleset parse_ok(const std::string& text, const char* file = "test.rules") {
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, file, d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  return rs;
}

// The same rule set without its indexes: every query scans, as before the indexes existed.
ruleset unindexed(ruleset rs) {
  rs.index.reset();
  for (auto& c : rs.chains)
    for (auto& r : c.rules)
      for (auto* m : {&r.match.saddr, &r.match.daddr})
        if (*m) (*m)->lookup.reset();
  return rs;
}

std::string targets_text(const std::optional<std::vector<hc::ip_address>>& t) {
  if (!t) return "unknown";
  std::string out;
  for (const auto& a : *t) out += a.str() + " ";
  return out;
}

std::string prediction_text(const flow_prediction& p) {
  return fmt::format("{} {} {}", to_string(p.result), p.dnat_to ? p.dnat_to->str() : "-", p.reason);
}

// nft -j with one table of each family given, holding the same chain names.
const char* same_names_nft = R"({"nftables": [
{"chain": {"family": "ip", "table": "nat", "name": "prerouting", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
{"chain": {"family": "ip", "table": "nat", "name": "web"}},
{"chain": {"family": "ip6", "table": "nat", "name": "prerouting", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
{"chain": {"family": "ip6", "table": "nat", "name": "web"}},
{"chain": {"family": "ip", "table": "other", "name": "web"}},
{"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 1, "expr": [{"jump": {"target": "web"}}]}},
{"rule": {"family": "ip", "table": "nat", "chain": "web", "handle": 2, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "203.0.113.1"}},
  {"dnat": {"addr": "198.18.1.10"}}]}},
{"rule": {"family": "ip6", "table": "nat", "chain": "prerouting", "handle": 3, "expr": [{"jump": {"target": "web"}}]}},
{"rule": {"family": "ip6", "table": "nat", "chain": "web", "handle": 4, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "daddr"}}, "right": "2001:db8::1"}},
  {"dnat": {"addr": "fd00::10"}}]}},
{"rule": {"family": "ip", "table": "other", "chain": "web", "handle": 5, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "203.0.113.1"}},
  {"dnat": {"addr": "192.0.2.66"}}]}}
]})";

}  // namespace

TEST_CASE("index: chains of the same name in other tables and families are told apart") {
  auto rs = parse_ok(same_names_nft, "same.json");
  REQUIRE(rs.index);
  const chain* ip_web = rs.find("ip", "nat", "web");
  const chain* ip6_web = rs.find("ip6", "nat", "web");
  const chain* other_web = rs.find("ip", "other", "web");
  REQUIRE(ip_web);
  REQUIRE(ip6_web);
  REQUIRE(other_web);
  CHECK(ip_web != ip6_web);
  CHECK(ip_web != other_web);
  CHECK(ip_web->rules.at(0).to.addr == ip("198.18.1.10"));
  CHECK(ip6_web->rules.at(0).to.addr == ip("fd00::10"));
  CHECK(rs.find("inet", "nat", "web") == nullptr);
  CHECK(rs.find("ip", "nat", "nope") == nullptr);
  // The jump of each family reaches its own chain, never the other table's.
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.1"))) == "198.18.1.10 ");
  CHECK(targets_text(rs.dnat_targets(ip("2001:db8::1"))) == "fd00::10 ");
  CHECK(targets_text(unindexed(rs).dnat_targets(ip("203.0.113.1"))) == "198.18.1.10 ");

  // iptables-save: a user chain named like one of another table.
  auto ipt = parse_ok("*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:web - [0:0]\n"
                      "-A PREROUTING -j web\n-A web -d 203.0.113.1/32 -j DNAT --to-destination 198.18.1.10\nCOMMIT\n"
                      "*filter\n:FORWARD ACCEPT [0:0]\n:web - [0:0]\n-A FORWARD -j web\n-A web -j DROP\nCOMMIT\n");
  REQUIRE(ipt.find("ip", "nat", "web"));
  REQUIRE(ipt.find("ip", "filter", "web"));
  CHECK(ipt.find("ip", "nat", "web")->rules.at(0).act == action::dnat);
  CHECK(ipt.find("ip", "filter", "web")->rules.at(0).act == action::drop);
  auto p = predict(ipt, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 443}, nat_test::lan_context());
  CHECK(p.result == outcome::forward_drop);  // the filter table's web chain drops it
  CHECK(p.dnat_to == ip("198.18.1.10"));     // after the nat table's web chain DNATed it
}

TEST_CASE("index: a jump to an undefined chain is an error at its rule and the prediction is unknown") {
  hc::diagnostics d;
  auto rs = parse_nat_rules("*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                            "-A PREROUTING -d 203.0.113.1/32 -j nowhere\nCOMMIT\n",
                            "undef.rules", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].str().find("undef.rules:4:") == 0);
  CHECK(d.all()[0].str().find("jump to an undeclared chain") != std::string::npos);
  CHECK(rs.find("ip", "nat", "nowhere") == nullptr);
  CHECK(!rs.dnat_targets(ip("203.0.113.1")));  // a rule that may DNAT is not understood
  auto p = predict(rs, {ip("198.18.1.99"), ip("203.0.113.1"), proto_tcp, 443}, nat_test::lan_context());
  CHECK(p.result == outcome::unknown);

  hc::diagnostics d2;
  std::string nft = R"({"nftables": [
{"chain": {"family": "ip", "table": "nat", "name": "prerouting", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
{"chain": {"family": "ip", "table": "nat", "name": "web"}},
{"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 1, "expr": [{"jump": {"target": "Web"}}]}},
{"rule": {"family": "ip", "table": "nat", "chain": "missing", "handle": 2, "expr": [{"accept": null}]}}
]})";
  auto rs2 = parse_nat_rules(nft, "undef.json", d2);
  REQUIRE(d2.all().size() == 2);
  CHECK(nat_test::all_text(d2).find("rule for an undeclared chain near 'missing'") != std::string::npos);
  CHECK(nat_test::all_text(d2).find("jump to an undeclared chain near 'Web'") != std::string::npos);  // names are case-sensitive
}

TEST_CASE("index: -I puts each inserted rule first, -A appends, whatever their number") {
  std::string text = "*nat\n:PREROUTING ACCEPT [0:0]\n";
  for (int i = 0; i < 300; ++i) {
    const char* how = i % 3 == 0 ? "-I" : "-A";
    text += fmt::format("{} PREROUTING -d 203.0.113.{}/32 -j DNAT --to-destination 198.18.1.{}\n", how, i % 250, i % 250);
  }
  text += "COMMIT\n";
  auto rs = parse_ok(text);
  const auto& rules = rs.find("ip", "nat", "PREROUTING")->rules;
  REQUIRE(rules.size() == 300);
  // Inserted: lines of i = 297, 294, ..., 0 first; then the appended ones in their order.
  CHECK(rules[0].where.line == 3 + 297);
  CHECK(rules[99].where.line == 3 + 0);
  CHECK(rules[100].where.line == 3 + 1);
  CHECK(rules[101].where.line == 3 + 2);
  CHECK(rules[299].where.line == 3 + 299);
}

TEST_CASE("index: a named set of many addresses matches its members and nothing else") {
  // A blocklist of 3,000 addresses and a few networks, dropped in FORWARD.
  std::string elems;
  for (int i = 0; i < 3000; ++i) elems += fmt::format("\"10.{}.{}.{}\",", 20 + i / 65536, (i / 256) % 256, i % 256);
  elems += R"({"prefix": {"addr": "192.0.2.0", "len": 25}}, {"prefix": {"addr": "198.18.1.64", "len": 27}})";
  std::string nft = R"({"nftables": [
{"set": {"family": "ip", "table": "filter", "name": "bl", "type": "ipv4_addr", "flags": ["interval"], "elem": [)" + elems + R"(]}},
{"chain": {"family": "ip", "table": "filter", "name": "forward", "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
{"chain": {"family": "ip", "table": "nat", "name": "prerouting", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
{"chain": {"family": "ip", "table": "nat", "name": "postrouting", "type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"}},
{"rule": {"family": "ip", "table": "filter", "chain": "forward", "handle": 1, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@bl"}}, {"drop": null}]}},
{"rule": {"family": "ip", "table": "nat", "chain": "prerouting", "handle": 2, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "203.0.113.1"}},
  {"dnat": {"addr": "198.18.1.10"}}]}},
{"rule": {"family": "ip", "table": "nat", "chain": "postrouting", "handle": 3, "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "198.18.1.0", "len": 24}}}},
  {"masquerade": null}]}}
]})";
  auto rs = parse_ok(nft, "set.json");
  const auto& m = rs.find("ip", "filter", "forward")->rules.at(0).match.saddr;
  REQUIRE(m);
  REQUIRE(m->any_of.size() == 3002);
  REQUIRE(m->lookup);  // a hash look-up, not a scan of 3,002 prefixes
  auto scan = [&](const hc::ip_address& a) {
    return std::any_of(m->any_of.begin(), m->any_of.end(), [&](const hc::ip_prefix& p) { return p.contains(a); });
  };
  for (const char* a : {"10.20.0.0", "10.20.11.183", "10.20.11.184", "10.21.0.0", "10.20.12.0", "192.0.2.0", "192.0.2.127",
                        "192.0.2.128", "198.18.1.64", "198.18.1.95", "198.18.1.96", "198.18.1.99", "0.0.0.0", "::1",
                        "::ffff:10.20.0.1"}) {
    CAPTURE(a);
    CHECK(m->in_any(ip(a)) == scan(ip(a)));
  }
  CHECK(m->in_any(ip("10.20.11.183")));
  CHECK(!m->in_any(ip("10.20.11.184")));
  // A LAN client in the set is dropped in FORWARD; one outside it is not.
  auto ctx = nat_test::lan_context();
  ctx.vantage = ip("198.18.1.70");
  CHECK(predict(rs, {*ctx.vantage, ip("203.0.113.1"), proto_tcp, 443}, ctx).result == outcome::forward_drop);
  ctx.vantage = ip("198.18.1.99");
  CHECK(predict(rs, {*ctx.vantage, ip("203.0.113.1"), proto_tcp, 443}, ctx).result == outcome::works);
}

TEST_CASE("index: rules by destination keep their order across prefix lengths and wildcard rules") {
  // For 203.0.113.1 tcp/443 the /24 rule comes first and decides; for tcp/80 the host rule decides;
  // for 203.0.113.2 tcp/25 the rule without a destination (after the /24 one, which takes only 443) does.
  auto rs = parse_ok(
      "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
      "-A PREROUTING -d 203.0.113.0/24 -p tcp --dport 443 -j DNAT --to-destination 198.18.1.24\n"
      "-A PREROUTING -d 203.0.113.1/32 -p tcp -m multiport --dports 80,443 -j DNAT --to-destination 198.18.1.32\n"
      "-A PREROUTING ! -d 198.18.1.0/24 -p tcp --dport 25 -j DNAT --to-destination 198.18.1.25\n"
      "-A PREROUTING -d 203.0.113.2/32,203.0.113.3/32 -p tcp --dport 25 -j DNAT --to-destination 198.18.1.99\n"
      "-A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.0/24 -j MASQUERADE\nCOMMIT\n");
  auto ctx = nat_test::lan_context();
  auto plain = unindexed(rs);
  struct want {
    const char* dst;
    std::uint16_t port;
    const char* to;
  };
  for (auto w : {want{"203.0.113.1", 443, "198.18.1.24"}, want{"203.0.113.1", 80, "198.18.1.32"},
                 want{"203.0.113.2", 25, "198.18.1.25"}, want{"203.0.113.3", 25, "198.18.1.25"},
                 want{"203.0.113.9", 443, "198.18.1.24"}}) {
    CAPTURE(w.dst);
    CAPTURE(w.port);
    flow f{ip("198.18.1.99"), ip(w.dst), proto_tcp, w.port};
    auto p = predict(rs, f, ctx);
    REQUIRE(p.dnat_to);
    CHECK(p.dnat_to->str() == w.to);
    CHECK(prediction_text(p) == prediction_text(predict(plain, f, ctx)));
  }
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.1"))) == "198.18.1.24 198.18.1.32 198.18.1.25 ");
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.2"))) == "198.18.1.24 198.18.1.25 198.18.1.99 ");
  CHECK(targets_text(rs.dnat_targets(ip("198.18.1.5"))) == "");
}

TEST_CASE("index: thousands of DNAT rules give the same predictions, DNAT map and services as a scan") {
  std::string nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:svc - [0:0]\n";
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    std::string pub = fmt::format("100.64.{}.{}", i / 4 / 256, i / 4 % 256);
    std::string srv = fmt::format("198.18.{}.{}", 1 + i / 4 / 250, 1 + i / 4 % 250);
    const int ports[] = {443, 80, 25, 993};
    // Every tenth address through a user chain; a duplicate of every fifth rule, which never wins.
    if (i % 40 < 4) nat += fmt::format("-A PREROUTING -d {}/32 -j svc\n-A svc -d {}/32 -p tcp --dport {} -j DNAT --to-destination {}\n", pub, pub, ports[i % 4], srv);
    else nat += fmt::format("-A PREROUTING -d {}/32 -p tcp --dport {} -j DNAT --to-destination {}\n", pub, ports[i % 4], srv);
    if (i % 5 == 0 && i % 40 >= 4) nat += fmt::format("-A PREROUTING -d {}/32 -p tcp --dport {} -j DNAT --to-destination 192.0.2.1\n", pub, ports[i % 4]);
    nat += fmt::format("-A POSTROUTING -s 198.18.0.0/15 -d {}/32 -p tcp --dport {} -j SNAT --to-source {}\n", srv, ports[i % 4], pub);
  }
  auto rs = parse_ok(nat + "COMMIT\n*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                           "-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n");
  auto plain = unindexed(rs);
  auto services = published(rs);
  CHECK(services.size() == static_cast<std::size_t>(n));  // the duplicates dropped
  CHECK(std::none_of(services.begin(), services.end(),
                     [](const published_service& s) { return s.internal_address == ip("192.0.2.1"); }));
  auto ctx = nat_test::lan_context();
  ctx.lan = {prefix("198.18.0.0/15")};
  ctx.vantage = ip("198.18.200.99");
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == services.size());
  std::size_t works = 0, right_server = 0, right_source = 0;
  for (std::size_t k = 0; k < preds.size(); ++k) {
    const auto& p = preds[k].prediction;
    works += p.result == outcome::works;
    right_server += p.dnat_to == services[k].internal_address;  // the first DNAT of that address and port
    right_source += p.seen_source == services[k].public_address;  // its loopback SNAT
  }
  CHECK(works == preds.size());
  CHECK(right_server == preds.size());
  CHECK(right_source == preds.size());
  // The scan, on a sample (it is quadratic): the same words.
  for (std::size_t k = 0; k < preds.size(); k += 97) {
    const auto& s = preds[k].service;
    flow f{*ctx.vantage, s.public_address, s.protocol, s.port};
    CHECK(prediction_text(preds[k].prediction) == prediction_text(predict(plain, f, ctx)));
    CHECK(targets_text(rs.dnat_targets(s.public_address)) == targets_text(plain.dnat_targets(s.public_address)));
  }
  CHECK(infer_interfaces(rs, ctx).at(1).addresses.size() == static_cast<std::size_t>(n / 4));
}

TEST_CASE("dnat_targets: a chain reached by a jump counts only for the addresses the jump may take") {
  auto rs = parse_ok(
      "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:web1 - [0:0]\n:web2 - [0:0]\n:common - [0:0]\n"
      ":ext - [0:0]\n:loop1 - [0:0]\n:loop2 - [0:0]\n"
      "-A PREROUTING -d 203.0.113.1/32 -j web1\n"
      "-A PREROUTING -d 203.0.113.2/32 -j web2\n"
      "-A PREROUTING -j common\n"
      "-A PREROUTING ! -d 198.18.0.0/15 -j ext\n"
      "-A PREROUTING -d 203.0.113.9/32 -j loop1\n"
      "-A web1 -p tcp --dport 443 -j DNAT --to-destination 198.18.1.10\n"
      "-A web2 -j DNAT --to-destination 198.18.1.20\n"
      "-A common -d 203.0.113.0/24 -p udp --dport 53 -j DNAT --to-destination 198.18.1.53\n"
      "-A ext -p tcp --dport 25 -j DNAT --to-destination 198.18.1.25\n"
      "-A loop1 -j loop2\n-A loop2 -j loop1\n-A loop2 -p tcp --dport 8080 -j DNAT --to-destination 198.18.1.80\n"
      "COMMIT\n");
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.1"))) == "198.18.1.10 198.18.1.53 198.18.1.25 ");
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.2"))) == "198.18.1.20 198.18.1.53 198.18.1.25 ");
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.3"))) == "198.18.1.53 198.18.1.25 ");
  CHECK(targets_text(rs.dnat_targets(ip("198.51.100.1"))) == "198.18.1.25 ");
  CHECK(targets_text(rs.dnat_targets(ip("198.18.1.5"))) == "");  // the negated jump does not take it
  // A loop of jumps: each chain once.
  CHECK(targets_text(rs.dnat_targets(ip("203.0.113.9"))) == "198.18.1.53 198.18.1.25 198.18.1.80 ");
  // The same without the index.
  auto plain = unindexed(rs);
  for (const char* a : {"203.0.113.1", "203.0.113.2", "203.0.113.9", "198.18.1.5"}) {
    CAPTURE(a);
    CHECK(targets_text(plain.dnat_targets(ip(a))) == targets_text(rs.dnat_targets(ip(a))));
  }
}

TEST_CASE("index: thousands of port forwards on one address: each port reaches its own server") {
  std::string nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  const int n = 3000;
  // A range first (ports 40000-40099 to one server), then one rule per port, a wide range last.
  nat += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport 40000:40099 -j DNAT --to-destination 198.18.1.200\n";
  for (int i = 0; i < n; ++i)
    nat += fmt::format("-A PREROUTING -d 203.0.113.1/32 -p {} --dport {} -j DNAT --to-destination 198.18.{}.{}:22\n",
                       i % 2 ? "udp" : "tcp", 10000 + i, 2 + i / 250, 1 + i % 250);
  nat += "-A PREROUTING -d 203.0.113.1/32 -p tcp --dport 1024:65535 -j DNAT --to-destination 198.18.1.250\n";
  nat += "-A POSTROUTING -s 198.18.0.0/15 -d 198.18.0.0/15 -j MASQUERADE\nCOMMIT\n";
  auto rs = parse_ok(nat);
  auto ctx = nat_test::lan_context();
  ctx.lan = {prefix("198.18.0.0/15")};
  ctx.vantage = ip("198.18.200.99");
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == static_cast<std::size_t>(n + 2));
  std::size_t right = 0;
  for (const auto& p : preds) {
    const auto port = p.service.port;
    std::string want = port >= 40000 && port < 40100 ? "198.18.1.200"
                       : port >= 10000 && port < 10000 + n
                           ? fmt::format("198.18.{}.{}", 2 + (port - 10000) / 250, 1 + (port - 10000) % 250)
                           : "198.18.1.250";
    right += p.prediction.result == outcome::works && p.prediction.dnat_to && p.prediction.dnat_to->str() == want;
  }
  CHECK(right == preds.size());
  // A port in the wide range only; one the UDP rule of that port does not take over TCP.
  auto wide = predict(rs, {*ctx.vantage, ip("203.0.113.1"), proto_tcp, 50000}, ctx);
  REQUIRE(wide.dnat_to);
  CHECK(wide.dnat_to->str() == "198.18.1.250");
  auto tcp_on_udp_port = predict(rs, {*ctx.vantage, ip("203.0.113.1"), proto_tcp, 10001}, ctx);
  REQUIRE(tcp_on_udp_port.dnat_to);
  CHECK(tcp_on_udp_port.dnat_to->str() == "198.18.1.250");
  CHECK(predict(rs, {*ctx.vantage, ip("203.0.113.1"), proto_tcp, 80}, ctx).result == outcome::not_forwarded);
}
