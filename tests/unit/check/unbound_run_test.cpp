#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>

#include "check/inputs.hpp"
#include "check/runner.hpp"
#include "core/asio.hpp"
#include "probes_dns/dns_test_server.hpp"

using namespace hc;

// OPNsense's Unbound host overrides as the internal view, through the one pipeline: the synthetic
// view `unbound` plans the resolver's checks against the overrides (wrong-answer when the resolver
// does not serve them), and the public side comes from the external DNS, as in one-shot mode.

TEST_CASE("unbound run: --unbound-config gives views unbound and public, and the leak findings from the file") {
  check::run_options o;
  o.named_conf.clear();
  o.unbound_config = HC_TEST_DATA "/unbound/office.xml";
  auto in = check::load_inputs(o);
  CHECK(in.unbound);
  REQUIRE(in.config);
  REQUIRE(in.views.size() == 2);
  CHECK(in.views[0].name == "unbound");
  CHECK(in.views[1].name == "public");
  std::size_t leaks = 0;
  for (const auto& f : in.findings) leaks += f.kind == finding_kind::leak ? 1 : 0;
  CHECK(leaks == 2);

  // A bad override is a config-error at its position, with the fix in OPNsense's terms.
  diagnostic d;
  d.where = {"config.xml", 12, 9};
  d.message = "unboundplus host override: <server> is not an IPv4 address";
  CHECK(check::config_error_fix(d, nullptr).find("Services > Unbound DNS > Overrides") != std::string::npos);

  // A file that is not an OPNsense config.xml is a config-error, never an empty internal view.
  o.unbound_config = HC_TEST_DATA "/unbound/missing.xml";
  auto bad = check::load_inputs(o);
  CHECK_FALSE(bad.unbound);
  REQUIRE_FALSE(bad.findings.empty());
  CHECK(bad.findings.front().kind == finding_kind::config_error);
}

TEST_CASE("unbound run: --nat-rules that is an OPNsense config.xml is used when there is no named.conf") {
  check::run_options o;
  o.named_conf = "/nonexistent/named.conf";
  o.nat_rules = HC_TEST_DATA "/unbound/home.xml";
  o.static_only = true;
  auto in = check::load_inputs(o);
  CHECK(in.unbound);
  // -C given explicitly: named.conf is what is read.
  o.named_conf_given = true;
  auto with_conf = check::load_inputs(o);
  CHECK_FALSE(with_conf.unbound);
}

TEST_CASE("unbound run: the resolver is checked against the overrides and compared with the public side") {
  asio::io_context io;
  std::atomic<bool> resolver_right{true};
  // The resolver: blog.debugo.fr is 192.168.1.10 (the override) or, when the override is not
  // served, the public address.
  test::udp_server resolver(io, "127.0.0.8", [&](const probes::dns_bytes& q) {
    auto facts = test::read_query(q, "k.", "");
    test::reply_spec spec;
    if (facts && facts->type == LDNS_RR_TYPE_A)
      spec.answer = {facts->name + " 300 IN A " + (resolver_right ? "192.168.1.10" : "203.0.113.1")};
    return std::vector<test::udp_send>{{0, test::make_reply(q, spec)}};
  });
  // The DNS server on the public address: the public data, or the override's.
  std::atomic<bool> hairpin_internal{false};
  test::udp_server external(io, "127.0.0.9", [&](const probes::dns_bytes& q) {
    auto facts = test::read_query(q, "k.", "");
    test::reply_spec spec;
    if (facts && facts->type == LDNS_RR_TYPE_A)
      spec.answer = {facts->name + " 300 IN A " + (hairpin_internal ? "192.168.1.10" : "203.0.113.1")};
    return std::vector<test::udp_send>{{0, test::make_reply(q, spec)}};
  });
  auto guard = asio::make_work_guard(io);
  std::thread server([&] { io.run(); });

  check::run_options o;
  o.named_conf.clear();
  o.unbound_config = HC_TEST_DATA "/unbound/home.xml";
  o.names = {"blog.debugo.fr."};
  o.services = {"dns/udp"};
  o.ipv6 = false;
  o.resolver = ip_endpoint{*ip_address::parse("127.0.0.8"), resolver.endpoint().port()};
  o.external_dns = {ip_endpoint{*ip_address::parse("127.0.0.9"), external.endpoint().port()}};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 5.0;

  auto kinds_of = [](const run_result& r) {
    std::set<std::string> out;
    for (const auto& f : r.findings) out.insert(std::string(name(f.kind)) + (f.view.empty() ? "" : "@" + f.view));
    return out;
  };
  run_result r = check::run(o);
  CHECK(r.vantage.internal_view == "unbound");
  CHECK(r.vantage.external_view == "public");
  std::set<std::string> paths;
  std::size_t resolver_checks = 0;
  for (const auto& c : r.checks) {
    paths.insert(c.path);
    resolver_checks += c.path == "resolver" ? 1 : 0;
  }
  CHECK(resolver_checks == 1);  // asked once, judged against the override
  CHECK(paths.count("resolver") == 1);
  CHECK(paths.count("hairpin") == 1);
  auto kinds = kinds_of(r);
  CHECK(kinds.count("wrong-answer@unbound") == 0);
  CHECK(kinds.count("split") == 1);  // 192.168.1.10 inside, 203.0.113.1 outside
  CHECK(exit_code(r.status()) == 0);

  // The resolver does not serve the override: wrong-answer against view unbound, never OK.
  resolver_right = false;
  r = check::run(o);
  kinds = kinds_of(r);
  CHECK(kinds.count("wrong-answer@unbound") == 1);
  CHECK(exit_code(r.status()) == 2);

  // Through the hairpin the public address answers with the override (the router's own resolver
  // answers on its WAN address): view-leak.
  resolver_right = true;
  hairpin_internal = true;
  r = check::run(o);
  kinds = kinds_of(r);
  CHECK(kinds.count("view-leak@public") == 1);
  CHECK(kinds.count("wrong-answer@unbound") == 0);
  CHECK(exit_code(r.status()) == 2);

  guard.reset();
  io.stop();
  server.join();
}

TEST_CASE("unbound run: --all checks every enabled override name, those left out of view unbound too") {
  asio::io_context io;
  // One server for both sides: every name has the address 10.20.0.10.
  test::udp_server dns(io, "127.0.0.10", [](const probes::dns_bytes& q) {
    auto facts = test::read_query(q, "k.", "");
    test::reply_spec spec;
    if (facts && facts->type == LDNS_RR_TYPE_A) spec.answer = {facts->name + " 300 IN A 10.20.0.10"};
    return std::vector<test::udp_send>{{0, test::make_reply(q, spec)}};
  });
  auto guard = asio::make_work_guard(io);
  std::thread server([&] { io.run(); });
  const ip_endpoint at{*ip_address::parse("127.0.0.10"), dns.endpoint().port()};

  check::run_options o;
  o.named_conf.clear();
  o.unbound_config = HC_TEST_DATA "/unbound/office.xml";
  o.all = true;
  o.services = {"dns/udp"};
  o.ipv6 = false;
  o.resolver = at;
  o.external_dns = {at};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 5.0;
  run_result r = check::run(o);
  std::set<std::string> checked;
  for (const auto& c : r.checks) checked.insert(c.name);
  for (const char* n : {"www.example.com", "mail.example.com", "imap.example.com", "vpn.example.org", "lab.example.org"}) {
    CAPTURE(n);
    CHECK(checked.count(n) == 1);
  }
  CHECK(checked.count("smtp.example.com") == 0);  // a disabled alias
  std::size_t leaks = 0;
  for (const auto& f : r.findings) leaks += f.kind == finding_kind::leak ? 1 : 0;
  CHECK(leaks == 2);

  guard.reset();
  io.stop();
  server.join();
}
