#include <doctest/doctest.h>

#include <random>
#include <regex>

#include "core/kinds.hpp"
#include "nat/nat.hpp"
#include "nat/nft_text.hpp"
#include "nat_test_util.hpp"

using namespace hc::nat;
using nat_test::ip;

namespace {

// Everything the simulator reads of a rule, as one line.
std::string model_of(const rule& r) {
  const auto& m = r.match;
  std::string s = "act=" + std::to_string(static_cast<int>(r.act)) + " target=" + r.target +
                  " handle=" + std::to_string(r.handle) + " text=" + r.text;
  auto addrs = [](const std::optional<addr_match>& a) {
    if (!a) return std::string("-");
    std::string o = a->negated ? "!" : "";
    for (const auto& p : a->any_of) o += p.str() + ",";
    return o;
  };
  auto ports = [](const std::optional<port_match>& p) {
    if (!p) return std::string("-");
    std::string o = p->negated ? "!" : "";
    for (const auto& r : p->any_of) o += std::to_string(r.first) + "-" + std::to_string(r.last) + ",";
    return o;
  };
  s += " saddr=" + addrs(m.saddr) + " daddr=" + addrs(m.daddr);
  s += " iif=" + (m.iif ? (m.iif->negated ? "!" : "") + m.iif->pattern : "-");
  s += " oif=" + (m.oif ? (m.oif->negated ? "!" : "") + m.oif->pattern : "-");
  s += " proto=";
  for (int p : m.protocols) s += std::to_string(p) + ",";
  s += m.protocol_negated ? "!" : "";
  s += " sport=" + ports(m.sport) + " dport=" + ports(m.dport) + " ct=";
  for (const auto& c : m.ct) s += (c.negated ? "!" : "") + std::to_string(c.any_of) + ",";
  s += " local=" + (m.dst_local ? std::to_string(*m.dst_local) : "-");
  s += " family=" + (m.family ? std::to_string(*m.family) : "-");
  s += " unknown=" + std::to_string(m.unknown.size());
  if (r.to.addr) s += " to=" + r.to.addr->str();
  if (r.to.addr_last) s += "-" + r.to.addr_last->str();
  if (r.to.ports) s += ":" + std::to_string(r.to.ports->first) + "-" + std::to_string(r.to.ports->last);
  return s;
}

std::vector<std::string> model_of(const ruleset& rs) {
  std::vector<std::string> out;
  for (const auto& c : rs.chains) {
    out.push_back(c.family + " " + c.table + " " + c.name + " type=" + c.type + " hook=" + c.hook +
                  " prio=" + std::to_string(c.priority) + " drop=" + std::to_string(c.policy_drop));
    for (const auto& r : c.rules) out.push_back("  " + model_of(r));
  }
  return out;
}

// Findings with the file positions taken out (the two formats number their lines differently).
std::vector<std::string> findings_of(const ruleset& rs) {
  static const std::regex position(R"([^ ]+:[0-9]+:[0-9]+: )");
  std::vector<std::string> out;
  for (const auto& f : analyse(rs, nat_test::lan_context()))
    out.push_back(std::string(hc::name(f.kind)) + " " + f.service + " " + f.address + " | " +
                  std::regex_replace(f.evidence, position, "") + " | " + f.fix);
  return out;
}

ruleset read_clean(const std::string& path) {
  hc::diagnostics d;
  auto rs = read_nat_rules(path, d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  return rs;
}

}  // namespace

TEST_CASE("nft text reader: `nft -a list ruleset` gives the model and findings of `nft -j list ruleset`") {
  // Each pair was captured from the same ruleset (tests/data/nat/NAME.nft loaded with nft -f in a
  // throwaway network namespace).
  for (const char* name : {"router", "broken", "vmap", "features", "fw4"}) {
    CAPTURE(name);
    auto text = read_clean(nat_test::data((std::string(name) + ".list.nft").c_str()));
    auto js = read_clean(nat_test::data((std::string(name) + ".nft.json").c_str()));
    CHECK(text.syntax == rule_syntax::nft);
    auto mt = model_of(text), mj = model_of(js);
    REQUIRE(mt.size() == mj.size());
    // nft -j spells a limit or a masked match as a JSON object, which the JSON reader's rule text
    // shows as it is: those texts differ, nothing else does.
    static const std::regex json_text(R"(limit (\{[^}]*\}|rate [0-9]+/[a-z]+( burst [0-9]+ packets)?))");
    for (std::size_t i = 0; i < mt.size(); ++i)
      CHECK(std::regex_replace(mt[i], json_text, "(json)") == std::regex_replace(mj[i], json_text, "(json)"));
    auto ft = findings_of(text), fj = findings_of(js);
    REQUIRE(ft.size() == fj.size());
    for (std::size_t i = 0; i < ft.size(); ++i)
      CHECK(std::regex_replace(ft[i], json_text, "(json)") == std::regex_replace(fj[i], json_text, "(json)"));
  }
}

TEST_CASE("nft text reader: the hand-written nft -f files read like their captures, without handles") {
  // (vmap.nft is left out: nft lists a verdict map's elements in its own order.)
  for (const char* name : {"router", "broken"}) {
    CAPTURE(name);
    auto written = read_clean(nat_test::data((std::string(name) + ".nft").c_str()));
    auto js = read_clean(nat_test::data((std::string(name) + ".nft.json").c_str()));
    auto mw = model_of(written), mj = model_of(js);
    REQUIRE(mw.size() == mj.size());
    static const std::regex handle(R"( handle=[0-9]+)");
    for (std::size_t i = 0; i < mw.size(); ++i) CHECK(std::regex_replace(mw[i], handle, "") == std::regex_replace(mj[i], handle, ""));
  }
}

TEST_CASE("nft text reader: rules and findings name the text's lines, fixes are nft statements") {
  auto rs = read_clean(nat_test::data("broken.list.nft"));
  const chain* pre = rs.find("inet", "router", "prerouting");
  REQUIRE(pre);
  REQUIRE(pre->rules.size() == 3);
  CHECK(pre->rules[0].where.str() == nat_test::data("broken.list.nft") + ":9:3");
  CHECK(pre->rules[0].handle == 5);
  CHECK(pre->where.line == 7);
  auto fs = analyse(rs, nat_test::lan_context());
  REQUIRE(fs.size() == 6);
  const hc::finding* https = nullptr;
  for (const auto& f : fs)
    if (f.service == "https") https = &f;
  REQUIRE(https);
  CHECK(https->kind == hc::finding_kind::nat_dnat_wan_only);
  CHECK(https->evidence.find("broken.list.nft:9:3: iifname \"wan0\" ip daddr 203.0.113.1 tcp dport @web_ports dnat to "
                             "198.18.1.10 (handle 5)") != std::string::npos);
  CHECK(https->fix ==
        "nft add rule inet router prerouting iifname \"lan0\" ip daddr 203.0.113.1 tcp dport 443 dnat ip to 198.18.1.10");
}

TEST_CASE("nft text reader: what it cannot model makes the rule unknown and a nat-unsimulated finding at its line") {
  const char* text =
      "table ip nat {\n"
      "\tchain prerouting {\n"
      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t\tmeta mark 0x00000001 accept\n"
      "\t\tip daddr 203.0.113.1 udp dport 53 dnat to 198.18.1.53\n"
      "\t\tip daddr 203.0.113.1 tcp dport 443 socket transparent 1 dnat to 198.18.1.10\n"
      "\t\tip daddr 203.0.113.1 tcp dport 25 dnat ip to ip saddr map { 198.18.1.0/24 : 198.18.1.20 }\n"
      "\t}\n"
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat + 10; policy accept;\n"
      "\t\tct mark & 0xff == 0x1 masquerade\n"
      "\t\tiifname \"x\" reject with icmp type admin-prohibited\n"
      "\t\tiifname \"y\" reject with icmpx port-unreachable comment \"z\"\n"
      "\t\tiifname \"z\" meta l4proto tcp reject with tcp reset\n"
      "\t}\n"
      "}\n";
  hc::diagnostics d;
  auto rs = parse_nat_rules(text, "u.nft", d);
  INFO(nat_test::all_text(d));
  CHECK(d.all().empty());
  const chain* pre = rs.find("ip", "nat", "prerouting");
  REQUIRE(pre);
  REQUIRE(pre->rules.size() == 4);
  CHECK(pre->rules[0].match.unknown.size() == 1);
  CHECK(pre->rules[2].match.unknown.size() == 1);
  CHECK(pre->rules[3].act == action::unknown);
  CHECK(rs.find("ip", "nat", "postrouting")->priority == 110);
  CHECK(rs.find("ip", "nat", "postrouting")->rules.at(0).match.unknown.size() == 1);
  analysis_context ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_udp, 53, "ns.debugo.fr", std::nullopt}};
  auto fs = analyse(rs, ctx);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].kind == hc::finding_kind::nat_unsimulated);
  CHECK(fs[0].evidence.find("u.nft:4:3: meta mark 1 accept") != std::string::npos);
  // The DNAT whose match is not understood still counts as a possible target; the map one is unknown.
  auto t = dnat_targets(rs, ip("203.0.113.1"));
  REQUIRE(t);
  CHECK(*t == std::vector<hc::ip_address>{ip("198.18.1.53"), ip("198.18.1.10")});
}

TEST_CASE("nft text reader: bad input gives diagnostics at the text's line and column, and reading goes on") {
  SUBCASE("bad address and undeclared chain") {
    const char* text =
        "table ip nat {\n"
        "  chain prerouting {\n"
        "    type nat hook prerouting priority -100; policy accept;\n"
        "    ip daddr 203.0.113.1 udp dport 53 dnat to 198.18.1.999\n"
        "    ip daddr 203.0.113.1 tcp dport 53 jump nowhere\n"
        "    ip daddr 203.0.113.1 tcp dport 80 dnat to 198.18.1.10\n"
        "  }\n"
        "}\n";
    hc::diagnostics d;
    auto rs = parse_nat_rules(text, "bad.nft", d);
    std::string all = nat_test::all_text(d);
    CHECK(all.find("bad.nft:4:39: not an address near '198.18.1.999'") != std::string::npos);
    CHECK(all.find("bad.nft:5:5: jump to an undeclared chain near 'nowhere'") != std::string::npos);
    CHECK(rs.find("ip", "nat", "prerouting")->rules.size() == 2);
    nat_test::check_reading_contract(text, "bad.nft", rs, d);
  }
  SUBCASE("structure errors") {
    const char* texts[] = {
        "table ip nat {\n  chain c {\n    type nat hook prerouting priority dstnat;\n",
        "table ip\n",
        "table ip nat {\n  chain c {\n    ip saddr { 1.2.3.4, \n",
        "table ip nat {\n  chain c {\n    type nat hook prerouting priority nope;\n  }\n}\n",
        "table ip nat {\n  chain c {\n    type nat hook prerouting priority dstnat; policy maybe;\n  }\n}\n",
        "table ip nat {\n  chain c {\n    jump\n  }\n}\n",
        "table ip nat {\n  chain c {\n    dnat to\n  }\n}\n",
        "table ip nat {\n  chain c {\n    tcp dport vmap\n  }\n}\n",
        "table ip nat {\n  chain c {\n    ip saddr\n  }\n}\n",
        "table ip nat {\n  chain c {\n    ip saddr { 1.2.3.4 : }\n  }\n}\n",
        "table ip nat {\n}\n}\n",
        "table xx nat {\n  chain c {\n  }\n}\n",
        "table ip nat {\n  chain c {\n    dnat to 1.2.3.4:99999\n  }\n}\n",
    };
    for (const char* t : texts) {
      std::string shown = t;
      CAPTURE(shown);
      hc::diagnostics d;
      auto rs = parse_nat_rules(t, "s.nft", d);
      CHECK(d.has_errors());
      nat_test::check_reading_contract(t, "s.nft", rs, d);
    }
  }
  SUBCASE("nesting is bounded") {
    std::string deep = "table ip t {\n chain c {\n  ip saddr " + std::string(5000, '{') + "\n }\n}\n";
    hc::diagnostics d;
    auto rs = parse_nat_rules(deep, "deep.nft", d);
    CHECK(d.has_errors());
    nat_test::check_reading_contract(deep, "deep.nft", rs, d);
  }
}

TEST_CASE("nft text reader: content detection") {
  CHECK(looks_like_nft_text("#!/usr/sbin/nft -f\n\nflush ruleset\ntable inet x {}\n"));
  CHECK(looks_like_nft_text("  \n# comment\ntable ip nat {\n"));
  CHECK_FALSE(looks_like_nft_text("*nat\n:PREROUTING ACCEPT [0:0]\n"));
  CHECK_FALSE(looks_like_nft_text("# Generated by iptables-save\n*nat\n"));
  CHECK_FALSE(looks_like_nft_text("{\"nftables\": []}"));
  auto rs = read_clean(nat_test::data("router.nft"));
  CHECK(rs.syntax == rule_syntax::nft);
}

TEST_CASE("nft text reader: every mutation of a capture is read into rules or named in diagnostics") {
  std::string base = nat_test::slurp(nat_test::data("broken.list.nft"));
  REQUIRE(!base.empty());
  std::mt19937 rng(1919);
  const std::string alphabet = "{}\";,.:/-#0123456789abcdeiptnr \n\t";
  const auto outcome = nat_test::mutation_rounds(base, rng, alphabet, "table", parse_nft_text, "fuzz.nft");
  CHECK(outcome.clean > 10);
  CHECK(outcome.diagnosed > 10);
}

TEST_CASE("nft text reader: OpenWrt fw4's own listing with reflection predicts a working hairpin") {
  // tests/data/nat/fw4.list.nft: an excerpt of what fw4 loads (zones lan and wan, one port forward
  // with its reflection rules), captured with nft -a list ruleset.
  auto rs = read_clean(nat_test::data("fw4.list.nft"));
  auto ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", ip("198.18.1.10")}};
  auto preds = predict_services(rs, ctx);
  REQUIRE(preds.size() == 1);
  INFO(preds[0].prediction.reason);
  CHECK(preds[0].prediction.result == outcome::works);
  CHECK(preds[0].prediction.seen_source == ip("198.18.1.1"));
  CHECK(analyse(rs, ctx).empty());
}

TEST_CASE("nft text reader: iptables-nft tables listed as text predict what iptables-save of the same rules does") {
  // portfw-nft.list.nft: portfw.iptables-save restored with iptables-nft, then nft -a list ruleset.
  // The text shows the xtables matches as nft translates them (ct state, fib daddr type local,
  // masquerade); nft -j keeps them as xt expressions, which stay unknown (portfw-nft.nft.json).
  auto text = read_clean(nat_test::data("portfw-nft.list.nft"));
  auto ipt = read_clean(nat_test::data("portfw.iptables-save"));
  auto ctx = nat_test::lan_context();
  ctx.services = {{ip("203.0.113.1"), proto_udp, 500, "vpn.debugo.fr", std::nullopt},
                  {ip("203.0.113.1"), proto_tcp, 8080, "alt.debugo.fr", std::nullopt},
                  {ip("203.0.113.1"), proto_tcp, 443, "blog.debugo.fr", std::nullopt}};
  auto pt = predict_services(text, ctx), pi = predict_services(ipt, ctx);
  REQUIRE(pt.size() == pi.size());
  for (std::size_t i = 0; i < pt.size(); ++i) {
    INFO(pt[i].prediction.reason);
    INFO(pi[i].prediction.reason);
    CHECK(pt[i].prediction.result == pi[i].prediction.result);
    CHECK(pt[i].prediction.dnat_to == pi[i].prediction.dnat_to);
  }
  const chain* fwd = text.find("ip", "filter", "FORWARD");
  REQUIRE(fwd);
  CHECK(fwd->rules.at(3).match.unknown.size() == 1);
  CHECK(fwd->rules.at(3).match.sport.has_value());
}

TEST_CASE("nft text reader: the lab's nft-text captures (zones/router.nft loaded by nft) predict what iptables does") {
  // tests/data/nat/lab/nft-text*.nft: `nft list ruleset` in the lab router after `nft -f zones/router.nft`
  // (scripts/lab scenarios nft-text and nft-text-no-snat; the same text as in an empty network namespace).
  auto read = [](const char* name, hc::nat::nat_format forced) {
    std::string path = nat_test::data((std::string("lab/") + name).c_str());
    hc::diagnostics d;
    auto rs = parse_nat_rules(nat_test::slurp(path), path, d, forced);
    INFO(nat_test::all_text(d));
    CHECK_FALSE(d.has_errors());
    CHECK(rs.syntax == rule_syntax::nft);
    return rs;
  };
  auto ok = read("nft-text.nft", nat_format::nft_text);
  auto ctx = nat_test::lan_context();
  CHECK(analyse(ok, ctx).empty());
  CHECK(published(ok).size() == 6);  // 80, 443, 25, 993, 53/udp, 53/tcp
  auto broken = read("nft-text-no-snat.nft", nat_format::auto_detect);
  auto fs = analyse(broken, ctx);
  REQUIRE(fs.size() == 6);
  std::string path = nat_test::data("lab/nft-text-no-snat.nft");
  std::string text = nat_test::slurp(path);
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos <= text.size();) {
    auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
  }
  for (const auto& f : fs) {
    CHECK(f.kind == hc::finding_kind::nat_no_loopback);
    CHECK(f.fix.find("nft add rule ip router postrouting") == 0);
    // What the lab's check_findings.py asserts: a cited file:line quotes that line, or, for a chain's
    // policy, is the chain's line with the policy in the base-chain statement that follows it.
    std::regex cite(R"(nft-text-no-snat\.nft:(\d+)(?::\d+)?: )");
    int citations = 0;
    for (auto it = std::sregex_iterator(f.evidence.begin(), f.evidence.end(), cite); it != std::sregex_iterator(); ++it) {
      ++citations;
      std::size_t n = std::stoul((*it)[1].str());
      REQUIRE(n >= 1);
      REQUIRE(n < lines.size());
      std::string want = lines[n - 1];
      want.erase(0, want.find_first_not_of(" \t"));
      std::string quoted = f.evidence.substr(static_cast<std::size_t>(it->position(0) + it->length(0)));
      INFO(quoted);
      if (quoted.rfind("policy accept", 0) == 0) {
        CHECK(want.rfind("chain ", 0) == 0);
        CHECK(lines[n].find("policy accept;") != std::string::npos);
      } else {
        CHECK(quoted.rfind(want, 0) == 0);
      }
    }
    CHECK(citations == 2);  // the DNAT rule and the postrouting chain's policy
  }
  // Forced as iptables, the capture is refused at 1:1 naming nft-text.
  hc::diagnostics d;
  parse_nat_rules(text, path, d, nat_format::iptables);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all().front().str().find(":1:1: --nat-format iptables was given, but the file reads as nft-text") !=
        std::string::npos);
}
