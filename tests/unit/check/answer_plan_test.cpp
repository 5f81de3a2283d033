// The plan for names in no zone: made from the resolver's and the external DNS's answers.

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "check/answer_plan.hpp"

using namespace hc;

namespace {

// A fake network: answers by (server address, qname, qtype); anything else times out.
struct fake_dns {
  struct answer {
    int rcode = 0;
    std::vector<std::string> records;
  };
  std::map<std::tuple<std::string, std::string, std::uint16_t>, answer> answers;
  std::vector<probes::probe_request> sent;

  check::send_fn send() {
    return [this](const std::vector<probes::probe_request>& reqs) {
      std::vector<probes::probe_result> out;
      for (const auto& q : reqs) {
        sent.push_back(q);
        probes::probe_result r;
        r.check.name = q.name;
        r.check.service = q.service;
        r.check.path = q.path;
        r.check.address = q.target.address.str();
        r.check.port = q.target.port;
        auto it = answers.find({q.target.address.str(), q.qname, q.qtype});
        if (it == answers.end()) {
          r.failure = finding_kind::timeout;
          r.check.stage = "receive";
          r.check.detail = "no answer";
        } else {
          r.check.ok = true;
          r.check.stage = "done";
          r.dns.emplace();
          r.dns->rcode = it->second.rcode;
          r.dns->answer = it->second.records;
        }
        out.push_back(std::move(r));
      }
      return out;
    };
  }
};

check::vantage_point lan_vantage(bool with_resolver = true) {
  check::vantage_point vp;
  if (with_resolver) vp.resolver = ip_endpoint{*ip_address::parse("198.18.1.53"), 53};
  vp.source = ip_address::parse("198.18.1.99");
  vp.lan = {*ip_prefix::parse("198.18.1.0/24")};
  return vp;
}

std::vector<std::string> kinds(const check::plan& p) {
  std::vector<std::string> out;
  for (const auto& f : p.findings) out.push_back(std::string(name(f.kind)) + " " + f.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> services(const check::plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.services) out.push_back(s.request.service + " " + s.request.path + " " + s.request.target.str());
  return out;
}

}  // namespace

TEST_CASE("answer plan: addresses and the zone come out of canonical answers") {
  auto a = check::answer_addresses({"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 203.0.113.1",
                                    "blog.debugo.fr. AAAA 2001:db8::1", "debugo.fr. MX 10 mail.debugo.fr."});
  REQUIRE(a.size() == 2);
  CHECK(a[0].str() == "203.0.113.1");
  CHECK(a[1].str() == "2001:db8::1");

  probes::dns_outcome nx;
  nx.authority = {"debugo.fr. SOA ns.debugo.fr. hostmaster.debugo.fr. 2024091101 3600 900 604800 300"};
  CHECK(check::zone_from_soa(nx) == "debugo.fr.");
  probes::dns_outcome none;
  CHECK_FALSE(check::zone_from_soa(none));
}

TEST_CASE("answer plan: public addresses are the only hairpin targets") {
  std::vector<ip_prefix> lan{*ip_prefix::parse("198.18.1.0/24")};
  CHECK(check::is_public_address(*ip_address::parse("203.0.113.1"), lan));
  CHECK_FALSE(check::is_public_address(*ip_address::parse("198.18.1.53"), lan));
  CHECK_FALSE(check::is_public_address(*ip_address::parse("192.168.1.1"), lan));
  CHECK_FALSE(check::is_public_address(*ip_address::parse("10.0.0.1"), lan));
  CHECK_FALSE(check::is_public_address(*ip_address::parse("127.0.0.1"), lan));
  CHECK_FALSE(check::is_public_address(*ip_address::parse("fd00::1"), lan));
}

TEST_CASE("answer plan: without resolver or external DNS every name is not-checked, never OK") {
  check::run_options o;
  fake_dns net;
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(false), net.send());
  CHECK(net.sent.empty());
  CHECK(p.dns.empty());
  CHECK(p.services.empty());
  REQUIRE_FALSE(p.findings.empty());
  for (const auto& f : p.findings) {
    CHECK(f.kind == finding_kind::not_checked);
    CHECK(f.sev == severity::unknown);
    CHECK(f.name == "blog.debugo.fr");
  }
}

TEST_CASE("answer plan: a name the resolver says does not exist is no-such-name, with no service probe") {
  check::run_options o;
  o.ipv6 = false;
  fake_dns net;
  net.answers[{"198.18.1.53", "nosuch.debugo.fr.", 1}] = {3, {}};
  net.answers[{"198.18.1.53", "nosuch.debugo.fr.", 6}] = {3, {}};
  o.external_dns = {ip_endpoint{*ip_address::parse("203.0.113.1"), 53}};
  net.answers[{"203.0.113.1", "nosuch.debugo.fr.", 1}] = {3, {}};
  auto p = check::plan_from_answers({"nosuch.debugo.fr."}, o, lan_vantage(), net.send());
  CHECK(kinds(p) == std::vector<std::string>{"no-such-name nosuch.debugo.fr"});
  CHECK(p.findings[0].evidence.find("NXDOMAIN") != std::string::npos);
  CHECK(p.services.empty());
}

TEST_CASE("answer plan: name servers that resolve inside the LAN are not the hairpin: DNS and services not-checked") {
  check::run_options o;
  o.ipv6 = false;
  fake_dns net;
  net.answers[{"198.18.1.53", "blog.debugo.fr.", 1}] = {0, {"blog.debugo.fr. A 198.18.1.10"}};
  net.answers[{"198.18.1.53", "blog.debugo.fr.", 6}] = {
      0, {"debugo.fr. SOA ns.debugo.fr. hostmaster.debugo.fr. 1 3600 900 604800 300"}};
  net.answers[{"198.18.1.53", "debugo.fr.", 2}] = {0, {"debugo.fr. NS ns.debugo.fr."}};
  net.answers[{"198.18.1.53", "ns.debugo.fr.", 1}] = {0, {"ns.debugo.fr. A 198.18.1.53"}};
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  for (const auto& q : net.sent) CHECK(q.path != "hairpin");  // nothing labelled hairpin went to 198.18.1.53
  for (const auto& d : p.dns) CHECK(d.request.path == "resolver");
  CHECK(p.services.empty());
  auto k = kinds(p);
  CHECK(std::count(k.begin(), k.end(), "not-checked blog.debugo.fr") == 2);  // DNS hairpin and services
  bool says_internal = false;
  for (const auto& f : p.findings) says_internal |= f.evidence.find("internal addresses only (198.18.1.53)") != std::string::npos;
  CHECK(says_internal);
}

TEST_CASE("answer plan: internal and external answers compared, services on both addresses, DNS probes judged") {
  check::run_options o;
  o.ipv6 = false;
  o.external_dns = {ip_endpoint{*ip_address::parse("203.0.113.1"), 53}};
  fake_dns net;
  net.answers[{"198.18.1.53", "blog.debugo.fr.", 1}] = {0, {"blog.debugo.fr. A 198.18.1.10"}};
  net.answers[{"203.0.113.1", "blog.debugo.fr.", 1}] = {0, {"blog.debugo.fr. A 203.0.113.1"}};
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  CHECK(kinds(p) == std::vector<std::string>{"split blog.debugo.fr"});
  CHECK(services(p) == std::vector<std::string>{"https hairpin 203.0.113.1#443", "https direct 198.18.1.10#443"});
  CHECK(p.services[0].pair_key == p.services[1].pair_key);
  // The resolver question and the external questions over UDP and TCP, already carried out.
  REQUIRE(p.dns.size() == 3);
  for (const auto& d : p.dns) {
    CHECK(d.done.has_value());
    CHECK(d.answers_unknown);
  }
}

TEST_CASE("answer plan: --services dns/udp asks the external DNS over UDP only") {
  check::run_options o;
  o.ipv6 = false;
  o.services = {"dns/udp"};
  o.external_dns = {ip_endpoint{*ip_address::parse("203.0.113.1"), 53}};
  fake_dns net;
  net.answers[{"198.18.1.53", "blog.debugo.fr.", 1}] = {0, {"blog.debugo.fr. A 203.0.113.1"}};
  net.answers[{"203.0.113.1", "blog.debugo.fr.", 1}] = {0, {"blog.debugo.fr. A 203.0.113.1"}};
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  for (const auto& q : net.sent) CHECK(q.service == "dns/udp");
  CHECK(p.services.empty());
  CHECK(p.findings.empty());
}
