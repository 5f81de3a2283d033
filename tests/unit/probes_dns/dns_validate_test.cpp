#include <doctest/doctest.h>

#include "check/dns_validate.hpp"

using hc::check::dns_expectation;
using hc::check::in_zone_records;
using hc::check::validate_dns;
using hc::probes::probe_result;

namespace {

probe_result answered(std::vector<std::string> answer, int rcode = 0) {
  probe_result r;
  r.check.name = "www.debugo.fr";
  r.check.service = "dns/udp";
  r.check.path = "hairpin";
  r.check.address = "203.0.113.1";
  r.check.port = 53;
  r.check.ok = true;
  r.check.stage = "done";
  r.dns.emplace();
  r.dns->rcode = rcode;
  r.dns->answer = std::move(answer);
  return r;
}

probe_result failed(std::string kind, std::string detail) {
  probe_result r = answered({});
  r.check.ok = false;
  r.check.stage = "receive";
  r.dns->rcode = -1;
  r.failure = hc::kind_from_name(kind).value();
  r.check.detail = std::move(detail);
  return r;
}

dns_expectation www() {
  dns_expectation e;
  e.zone = "debugo.fr";
  e.view = "extra";
  e.expected_answer = {"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 203.0.113.1"};
  e.other_view = "intra";
  e.other_view_answer = std::vector<std::string>{"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 198.18.1.10"};
  return e;
}

std::vector<std::string> kinds(const std::vector<hc::finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(std::string(hc::name(x.kind)));
  return out;
}

}  // namespace

TEST_CASE("dns validate: in-zone records are sorted, deduplicated, out-of-zone owners dropped") {
  auto v = in_zone_records({"www.debugo.fr. CNAME cdn.example.net.", "cdn.example.net. A 192.0.2.1",
                            "debugo.fr. NS ns.debugo.fr.", "www.debugo.fr. CNAME cdn.example.net.",
                            "notdebugo.fr. A 192.0.2.2"},
                           "Debugo.FR");
  CHECK(v == std::vector<std::string>{"debugo.fr. NS ns.debugo.fr.", "www.debugo.fr. CNAME cdn.example.net."});
  CHECK(in_zone_records({"a.b. A 1.2.3.4"}, ".").size() == 1);
}

TEST_CASE("dns validate: a CNAME chain compares the records present, in any order") {
  auto r = answered({"blog.debugo.fr. A 203.0.113.1", "www.debugo.fr. CNAME blog.debugo.fr."});
  CHECK(validate_dns(r, www()).empty());
  // A chain leaving the zone: the out-of-zone target's records are not compared.
  auto e = www();
  e.expected_answer = {"www.debugo.fr. CNAME cdn.example.net."};
  e.other_view_answer.reset();
  auto out = answered({"www.debugo.fr. CNAME cdn.example.net.", "cdn.example.net. A 192.0.2.7"});
  CHECK(validate_dns(out, e).empty());
}

TEST_CASE("dns validate: a changed link of the chain is wrong-answer with the difference") {
  auto r = answered({"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 203.0.113.9"});
  auto f = validate_dns(r, www());
  REQUIRE(kinds(f) == std::vector<std::string>{"wrong-answer"});
  CHECK(f[0].sev == hc::severity::critical);
  CHECK(f[0].name == "www.debugo.fr");
  CHECK(f[0].zone == "debugo.fr");
  CHECK(f[0].view == "extra");
  CHECK(f[0].type == "A");
  CHECK(f[0].address == "203.0.113.1");
  CHECK(f[0].evidence.find("missing blog.debugo.fr. A 203.0.113.1") != std::string::npos);
  CHECK(f[0].evidence.find("not in the zone file blog.debugo.fr. A 203.0.113.9") != std::string::npos);
  CHECK(f[0].fix.find("rndc reload debugo.fr IN extra") != std::string::npos);
}

TEST_CASE("dns validate: the internal view's chain through the hairpin is view-leak") {
  auto r = answered({"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 198.18.1.10"});
  auto f = validate_dns(r, www());
  REQUIRE(kinds(f) == std::vector<std::string>{"view-leak"});
}

TEST_CASE("dns validate: view-leak is only decided when the views differ") {
  auto e = www();
  e.other_view_answer = e.expected_answer;
  auto r = answered({"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 198.18.1.10"});
  CHECK(kinds(validate_dns(r, e)) == std::vector<std::string>{"wrong-answer"});
  CHECK(validate_dns(answered(e.expected_answer), e).empty());
}

TEST_CASE("dns validate: an intra-only name answered through the hairpin is view-leak by rcode") {
  dns_expectation e;
  e.zone = "debugo.fr";
  e.view = "extra";
  e.expected_rcode = 3;
  e.other_view = "intra";
  e.other_view_answer = std::vector<std::string>{"nas.debugo.fr. A 198.18.1.20"};
  e.other_view_rcode = 0;
  auto leak = answered({"nas.debugo.fr. A 198.18.1.20"});
  CHECK(kinds(validate_dns(leak, e)) == std::vector<std::string>{"view-leak"});
  auto good = answered({}, 3);
  CHECK(validate_dns(good, e).empty());
  auto servfail = answered({}, 2);
  auto f = validate_dns(servfail, e);
  REQUIRE(kinds(f) == std::vector<std::string>{"wrong-answer"});
  CHECK(f[0].evidence.find("served SERVFAIL") == 0);
}

TEST_CASE("dns validate: a lagging serial in the NXDOMAIN authority is stale-zone only") {
  dns_expectation e;
  e.zone = "debugo.fr";
  e.view = "extra";
  e.expected_rcode = 3;
  e.file_serial = 2024091101;
  auto r = answered({}, 3);
  r.dns->soa_serial = 2024091100;
  auto f = validate_dns(r, e);
  REQUIRE(kinds(f) == std::vector<std::string>{"stale-zone"});
  CHECK(f[0].sev == hc::severity::warning);
  CHECK(f[0].fix.find("rndc reload debugo.fr IN extra") == 0);
  r.dns->soa_serial = 2024091101;
  CHECK(validate_dns(r, e).empty());
  r.dns->soa_serial.reset();
  CHECK(validate_dns(r, e).empty());
}

TEST_CASE("dns validate: transport failures map to their finding with evidence and fix") {
  for (std::string kind : {"timeout", "refused", "reset", "truncated-no-tcp"}) {
    CAPTURE(kind);
    auto f = validate_dns(failed(kind, "what happened"), www());
    REQUIRE(kinds(f) == std::vector<std::string>{kind});
    CHECK(f[0].evidence == "what happened");
    CHECK_FALSE(f[0].fix.empty());
    CHECK(f[0].sev == (kind == "truncated-no-tcp" ? hc::severity::warning : hc::severity::critical));
  }
}

TEST_CASE("dns validate: unexpected-source gives the SNAT rule when LAN and server are known") {
  auto r = failed("unexpected-source", "reply from 198.18.1.53#53, expected 203.0.113.1#53 (it said NOERROR)");
  r.dns->unexpected_sources.push_back({*hc::ip_address::parse("198.18.1.53"), 53});
  auto e = www();
  auto f = validate_dns(r, e);
  REQUIRE(kinds(f) == std::vector<std::string>{"unexpected-source"});
  CHECK(f[0].evidence == "reply from 198.18.1.53#53, expected 203.0.113.1#53");
  // Without the LAN prefix: a sentence naming the server.
  CHECK(f[0].fix.find("iptables") == std::string::npos);
  CHECK(f[0].fix.find("198.18.1.53") != std::string::npos);
  e.lan_prefix = hc::ip_prefix::parse("198.18.1.0/24");
  f = validate_dns(r, e);
  CHECK(f[0].fix ==
        "iptables -t nat -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j SNAT --to 203.0.113.1");
  e.internal_address = hc::ip_address::parse("198.18.1.54");
  f = validate_dns(r, e);
  CHECK(f[0].fix.find("-d 198.18.1.54 ") != std::string::npos);
}

TEST_CASE("dns validate: a probe that failed without a kind is not-checked, never OK and never the server's fault") {
  auto r = answered({});
  r.check.ok = false;
  r.check.stage = "internal";
  r.check.detail = "internal error: cannot encode the query";
  auto f = validate_dns(r, www());
  REQUIRE(kinds(f) == std::vector<std::string>{"not-checked"});
  CHECK(f[0].sev == hc::severity::unknown);
  CHECK(f[0].evidence == "internal error: cannot encode the query");
  CHECK(f[0].fix.find("nothing is known about the server") != std::string::npos);
}

TEST_CASE("dns validate: annotate copies zone, view and file serial into the check") {
  hc::check_result c;
  auto e = www();
  e.file_serial = 7;
  hc::check::annotate_dns_check(c, e);
  CHECK(c.zone == "debugo.fr");
  CHECK(c.view == "extra");
  CHECK(c.file_serial == 7u);
}
