// The runner's own decisions, each stage alone: gating (schedule), and the live findings (judge):
// slow-response, nat-prediction-mismatch, a stale zone hiding wrong answers, the record type.

#include <doctest/doctest.h>

#include <algorithm>

#include "check/judge.hpp"
#include "check/schedule.hpp"

using namespace hc;

namespace {

probes::probe_request request(const std::string& service, const std::string& path, const char* addr,
                              std::uint16_t port, std::uint16_t qtype = 1) {
  probes::probe_request r;
  r.name = "web.example.test";
  r.qname = "web.example.test.";
  r.qtype = qtype;
  r.service = service;
  r.path = path;
  r.target = {*ip_address::parse(addr), port};
  return r;
}

probes::probe_result result_of(const probes::probe_request& q, std::optional<finding_kind> failure,
                               double seconds = 0.01) {
  probes::probe_result r;
  r.check.name = q.name;
  r.check.service = q.service;
  r.check.path = q.path;
  r.check.address = q.target.address.str();
  r.check.port = q.target.port;
  r.check.duration_s = seconds;
  r.failure = failure;
  r.check.ok = !failure;
  r.check.stage = failure ? "receive" : "done";
  return r;
}

// A fake network: every request to a dead address fails with `dead_kind`, the rest works.
struct fake_net {
  std::string dead;
  finding_kind dead_kind = finding_kind::timeout;
  std::vector<std::vector<probes::probe_request>> rounds;
  check::send_fn send() {
    return [this](const std::vector<probes::probe_request>& reqs) {
      rounds.push_back(reqs);
      std::vector<probes::probe_result> out;
      for (const auto& q : reqs)
        out.push_back(result_of(q, q.target.address.str() == dead ? std::optional(dead_kind) : std::nullopt));
      return out;
    };
  }
};

check::plan two_servers_plan() {
  check::plan p;
  for (const char* server : {"127.0.0.2", "127.0.0.9"}) {
    check::dns_probe_plan gate;
    gate.request = request("dns/udp", "hairpin", server, 53, 6);
    gate.soa_gate = true;
    gate.gate_key = std::string(server) + "/udp";
    p.dns.push_back(gate);
    check::dns_probe_plan name;
    name.request = request("dns/udp", "hairpin", server, 53, 1);
    name.gate_key = gate.gate_key;
    name.answers_unknown = true;
    p.dns.push_back(name);
  }
  for (const char* addr : {"127.0.0.5", "127.0.0.6"}) {
    check::service_probe_plan s;
    s.request = request("https", std::string(addr) == std::string("127.0.0.5") ? "hairpin" : "direct", addr, 443);
    s.pair_key = "web|https";
    p.services.push_back(s);
  }
  return p;
}

check::run_options no_thresholds() { return {}; }

}  // namespace

TEST_CASE("schedule: a dead server costs one gate; the probes behind it are skipped with its failure") {
  fake_net net;
  net.dead = "127.0.0.9";
  auto p = two_servers_plan();
  auto r = check::run_plan(p, net.send());
  REQUIRE(net.rounds.size() == 2);
  // Round 1: two SOA gates and one connect per service endpoint.
  CHECK(net.rounds[0].size() == 4);
  // Round 2: the live server's name question and the two services; nothing to the dead server.
  CHECK(net.rounds[1].size() == 3);
  for (const auto& q : net.rounds[1]) CHECK(q.target.address.str() != "127.0.0.9");
  CHECK(r.dns[2].failure == finding_kind::timeout);    // the dead gate itself
  CHECK(r.dns[3].check.stage == "skipped");
  CHECK(r.dns[3].failure == finding_kind::timeout);
  CHECK(r.dns[1].check.ok);
}

TEST_CASE("schedule: a gate that could not be sent from here skips its probes as not-checked") {
  fake_net net;
  net.dead = "127.0.0.9";
  net.dead_kind = finding_kind::not_checked;
  auto r = check::run_plan(two_servers_plan(), net.send());
  CHECK(r.dns[3].check.stage == "skipped");
  CHECK(r.dns[3].failure == finding_kind::not_checked);
}

TEST_CASE("schedule: probes the plan already carried out are not sent again") {
  fake_net net;
  check::plan p;
  check::dns_probe_plan d;
  d.request = request("dns/udp", "resolver", "127.0.0.3", 53);
  d.done = result_of(d.request, std::nullopt, 0.5);
  p.dns.push_back(d);
  auto r = check::run_plan(p, net.send());
  CHECK(net.rounds.empty());
  CHECK(r.dns[0].check.duration_s == 0.5);
}

TEST_CASE("judge: slow-response follows the -w/-c Nagios ranges, and only for checks that worked") {
  check_result c;
  c.ok = true;
  c.duration_s = 1.5;
  c.name = "web";
  check::run_options o;
  CHECK_FALSE(check::slow_response(c, o));
  o.warning = nagios_range::parse("1");
  auto w = check::slow_response(c, o);
  REQUIRE(w);
  CHECK(w->kind == finding_kind::slow_response);
  CHECK(w->sev == severity::warning);
  o.critical = nagios_range::parse("@1:2");
  CHECK(check::slow_response(c, o)->sev == severity::critical);
  c.ok = false;
  CHECK_FALSE(check::slow_response(c, o));
}

TEST_CASE("judge: a stale zone explains wrong answers; the type is part of each check's identity") {
  check::plan p;
  for (std::uint16_t qtype : {std::uint16_t(6), std::uint16_t(1), std::uint16_t(28)}) {
    check::dns_probe_plan d;
    d.request = request("dns/udp", "hairpin", "127.0.0.2", 53, qtype);
    d.expect.zone = "example.test.";
    d.expect.view = "extra";
    d.expect.qtype = qtype;
    d.expect.expected_answer = {qtype == 1 ? "web.example.test. A 127.0.0.5" : "web.example.test. AAAA ::5"};
    if (qtype == 6) {
      d.expect.file_serial = 8;
      d.expect.expected_answer = {"example.test. SOA ns.example.test. h.example.test. 8 3600 900 604800 300"};
    }
    p.dns.push_back(d);
  }
  check::plan_results res;
  for (const auto& d : p.dns) {
    auto r = result_of(d.request, std::nullopt);
    r.dns.emplace();
    r.dns->rcode = 0;
    if (d.request.qtype == 6) {
      r.dns->answer = {"example.test. SOA ns.example.test. h.example.test. 7 3600 900 604800 300"};
      r.dns->soa_serial = 7;
    } else {
      r.dns->answer = {d.request.qtype == 1 ? "web.example.test. A 127.0.0.99" : "web.example.test. AAAA ::99"};
    }
    res.dns.push_back(std::move(r));
  }
  auto o = no_thresholds();
  check::judge_inputs in;
  in.options = &o;
  auto live = check::judge(p, res, in);
  // One stale-zone, no wrong-answer: the zone file is not loaded yet.
  REQUIRE(live.findings.size() == 1);
  CHECK(live.findings[0].kind == finding_kind::stale_zone);
  CHECK(live.notes.size() == 1);
  REQUIRE(live.checks.size() == 3);
  CHECK(live.checks[1].type == "A");
  CHECK(live.checks[2].type == "AAAA");
  CHECK(live.checks[0].type == "SOA");
}

TEST_CASE("judge: a hairpin failure against a prediction that it works is nat-prediction-mismatch") {
  check::plan p;
  check::service_probe_plan h, d;
  h.request = request("https", "hairpin", "203.0.113.1", 443);
  h.pair_key = d.pair_key = "web|https";
  d.request = request("https", "direct", "198.18.1.10", 443);
  p.services = {h, d};
  check::plan_results res;
  res.services = {result_of(h.request, finding_kind::timeout), result_of(d.request, std::nullopt)};
  nat::service_prediction pred;
  pred.service.public_address = *ip_address::parse("203.0.113.1");
  pred.service.port = 443;
  pred.service.protocol = nat::proto_tcp;
  pred.prediction.result = nat::outcome::works;
  std::vector<nat::service_prediction> preds{pred};
  auto o = no_thresholds();
  check::judge_inputs in;
  in.options = &o;
  in.predictions = &preds;
  in.source = ip_address::parse("198.18.1.99");
  auto live = check::judge(p, res, in);
  std::vector<finding_kind> kinds;
  for (const auto& f : live.findings) kinds.push_back(f.kind);
  CHECK(std::count(kinds.begin(), kinds.end(), finding_kind::nat_prediction_mismatch) == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), finding_kind::timeout) == 1);
  CHECK(live.checks[0].type == "A");
  // The same observation with a direct path that fails too says nothing about the NAT.
  res.services = {result_of(h.request, finding_kind::timeout), result_of(d.request, finding_kind::timeout)};
  live = check::judge(p, res, in);
  for (const auto& f : live.findings) CHECK(f.kind != finding_kind::nat_prediction_mismatch);
}

TEST_CASE("judge: nat-unsimulated rests on the live probe: info when the hairpin worked, kept when it failed") {
  finding f;
  f.kind = finding_kind::nat_unsimulated;
  f.sev = severity::warning;
  f.service = "https";
  f.address = "203.0.113.1";
  f.evidence = "PREROUTING: cannot tell whether the rule matches";
  std::vector<finding> fs{f, f};
  fs[1].address = "203.0.113.2";
  check_result works, fails;
  works.path = fails.path = "hairpin";
  works.service = fails.service = "https";
  works.address = "203.0.113.1";
  works.ok = true;
  fails.address = "203.0.113.2";
  check::settle_unsimulated(fs, {works, fails});
  CHECK(fs[0].sev == severity::info);
  CHECK(fs[0].evidence.find("live probe through the hairpin works") != std::string::npos);
  CHECK(fs[1].sev == severity::warning);
  // Not probed at all: the prediction is all there is, and it is unknown.
  std::vector<finding> alone{f};
  check::settle_unsimulated(alone, {});
  CHECK(alone[0].sev == severity::warning);
}

TEST_CASE("judge: the names whose hairpin contradicts the same prediction are one nat-prediction-mismatch") {
  check::plan p;
  check::plan_results res;
  for (const char* n : {"www.example.test", "api.example.test", "blog.example.test"}) {
    check::service_probe_plan h, d;
    h.request = request("https", "hairpin", "203.0.113.1", 443);
    h.request.name = n;
    d.request = request("https", "direct", "198.18.1.10", 443);
    d.request.name = n;
    h.pair_key = d.pair_key = std::string(n) + "|https";
    p.services.push_back(h);
    p.services.push_back(d);
    res.services.push_back(result_of(h.request, finding_kind::timeout));
    res.services.push_back(result_of(d.request, std::nullopt));
  }
  nat::service_prediction pred;
  pred.service.public_address = *ip_address::parse("203.0.113.1");
  pred.service.port = 443;
  pred.service.protocol = nat::proto_tcp;
  pred.prediction.result = nat::outcome::works;
  std::vector<nat::service_prediction> preds{pred};
  auto o = no_thresholds();
  check::judge_inputs in;
  in.options = &o;
  in.predictions = &preds;
  in.source = ip_address::parse("198.18.1.99");
  auto live = check::judge(p, res, in);
  std::vector<const finding*> mismatches;
  for (const auto& f : live.findings)
    if (f.kind == finding_kind::nat_prediction_mismatch) mismatches.push_back(&f);
  REQUIRE(mismatches.size() == 1);
  const finding& m = *mismatches.front();
  CHECK(m.count == 3);
  CHECK(m.names == std::vector<std::string>{"api.example.test", "blog.example.test", "www.example.test"});
  CHECK(m.name == "api.example.test");
  CHECK(m.address == "203.0.113.1");
  // Each name's own timeout stays its own finding.
  CHECK(std::count_if(live.findings.begin(), live.findings.end(),
                      [](const finding& f) { return f.kind == finding_kind::timeout; }) == 3);
}
