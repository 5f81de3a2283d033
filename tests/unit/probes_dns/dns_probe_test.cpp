// Live DNS probes against loopback test servers, each case over UDP and TCP where it makes sense;
// the probe result then goes through validate_dns and must yield exactly its finding.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check/dns_validate.hpp"
#include "dns_test_server.hpp"
#include "probes/dns.hpp"

using namespace hc::probes;
using namespace std::chrono_literals;
using hc::check::dns_expectation;
using hc::check::validate_dns;
using hc::test::framed;
using hc::test::make_reply;
using hc::test::reply_spec;
using hc::test::tcp_server;
using hc::test::udp_send;
using hc::test::udp_server;
namespace asio = hc::asio;

namespace {

const std::string extra_a = "blog.debugo.fr. 300 IN A 203.0.113.1";
const std::string intra_a = "blog.debugo.fr. 300 IN A 198.18.1.10";
const std::string soa_lagging =
    "debugo.fr. 300 IN SOA ns.debugo.fr. hostmaster.debugo.fr. 2024090101 3600 900 604800 300";

hc::ip_endpoint to_hc(const asio::ip::udp::endpoint& e) {
  return {*hc::ip_address::parse(e.address().to_string()), e.port()};
}
hc::ip_endpoint to_hc(const asio::ip::tcp::endpoint& e) {
  return {*hc::ip_address::parse(e.address().to_string()), e.port()};
}

probe_request blog_request(hc::ip_endpoint target, std::string service, std::chrono::milliseconds timeout = 1000ms) {
  probe_request r;
  r.name = "blog.debugo.fr";
  r.qname = "blog.debugo.fr.";
  r.qtype = LDNS_RR_TYPE_A;
  r.service = std::move(service);
  r.path = "hairpin";
  r.target = target;
  r.deadline = clock::now() + timeout;  // the caller owns the deadline
  return r;
}

// Runs one probe on io until it completes; the probe bounds itself by the request's deadline.
probe_result run_probe(asio::io_context& io, const probe_request& req,
                       std::optional<hc::ip_address> source = std::nullopt) {
  probe_context ctx;
  ctx.source = source;
  ctx.executor = io.get_executor();
  std::optional<probe_result> out;
  auto probe = req.service == "dns/tcp" ? probe_dns_tcp : probe_dns_udp;
  asio::co_spawn(io, probe(ctx, req), [&](std::exception_ptr e, probe_result r) {
    CHECK_FALSE(e);
    out = std::move(r);
    io.stop();
  });
  io.run_for(5s);
  REQUIRE(out);
  return *out;
}

dns_expectation blog_expectation() {
  dns_expectation e;
  e.zone = "debugo.fr";
  e.view = "extra";
  e.qtype = LDNS_RR_TYPE_A;
  e.expected_answer = {"blog.debugo.fr. A 203.0.113.1"};
  e.other_view_answer = std::vector<std::string>{"blog.debugo.fr. A 198.18.1.10"};
  e.other_view = "intra";
  e.file_serial = 2024091101;
  e.lan_prefix = hc::ip_prefix::parse("127.0.0.0/8");
  return e;
}

std::vector<std::string> kinds(const std::vector<hc::finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(std::string(hc::name(x.kind)));
  return out;
}

bool has_phase(const probe_result& r, const std::string& name) {
  for (const auto& p : r.check.phases)
    if (p.phase == name) return true;
  return false;
}

// A UDP server and a TCP server on the same address and port, both answering with spec.
struct dual_server {
  dual_server(asio::io_context& io, reply_spec spec)
      : udp(io, "127.0.0.2", [spec](const hc::probes::dns_bytes& q) {
          return std::vector<udp_send>{{0, make_reply(q, spec)}};
        }),
        tcp(io, "127.0.0.2", udp.endpoint().port(), [spec](const hc::probes::dns_bytes& q) {
          return std::vector<hc::probes::dns_bytes>{framed(make_reply(q, spec))};
        }) {}
  hc::ip_endpoint target() const { return to_hc(udp.endpoint()); }
  udp_server udp;
  tcp_server tcp;
};

}  // namespace

TEST_CASE("dns probe: clean answer from the right view gives no finding, over UDP and TCP") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {extra_a};
    dual_server server(io, spec);
    auto req = blog_request(server.target(), service);
    auto r = run_probe(io, req);
    CHECK(r.check.ok);
    CHECK(r.check.stage == "done");
    CHECK(!r.failure.has_value());
    CHECK(r.check.name == "blog.debugo.fr");
    CHECK(r.check.service == service);
    CHECK(r.check.address == "127.0.0.2");
    CHECK(r.check.port == server.target().port);
    REQUIRE(r.dns);
    REQUIRE(r.dns->responder);
    CHECK(*r.dns->responder == server.target());
    CHECK(r.dns->rcode == 0);
    CHECK(r.dns->aa);
    CHECK(r.dns->mismatched == 0);
    CHECK(r.dns->unexpected_sources.empty());
    CHECK(r.dns->answer == std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"});
    CHECK(r.facts["answer"] == "blog.debugo.fr. A 203.0.113.1");
    CHECK(has_phase(r, "request"));
    CHECK(has_phase(r, "processing"));
    if (service == "dns/tcp") CHECK(has_phase(r, "connect"));
    CHECK(r.check.duration_s < 0.5);
    CHECK(validate_dns(r, blog_expectation()).empty());
  }
}

TEST_CASE("dns probe: EDNS0 size reaches the server as asked") {
  asio::io_context io;
  std::vector<int> sizes;
  udp_server server(io, "127.0.0.2", [&](const hc::probes::dns_bytes& q) {
    auto p = parse_dns_message(q);
    sizes.push_back(p.pkt && ldns_pkt_edns(p.pkt.get()) ? ldns_pkt_edns_udp_size(p.pkt.get()) : 0);
    reply_spec spec;
    spec.answer = {extra_a};
    return std::vector<udp_send>{{0, make_reply(q, spec)}};
  });
  auto req = blog_request(to_hc(server.endpoint()), "dns/udp");
  CHECK(run_probe(io, req).check.ok);
  io.restart();
  req.edns_size = 4096;
  CHECK(run_probe(io, req).check.ok);
  io.restart();
  req.edns_size = 0;
  CHECK(run_probe(io, req).check.ok);
  CHECK(sizes == std::vector<int>{1232, 4096, 0});
}

TEST_CASE("dns probe: a reply from another address is unexpected-source, and the probe keeps listening") {
  asio::io_context io;
  reply_spec spec;
  spec.answer = {intra_a};
  udp_server server(
      io, "127.0.0.2", [&](const hc::probes::dns_bytes& q) { return std::vector<udp_send>{{1, make_reply(q, spec)}}; },
      {"127.0.0.3"});
  auto target = to_hc(server.endpoint());
  auto stray = to_hc(server.extra_endpoint(1));
  auto r = run_probe(io, blog_request(target, "dns/udp", 300ms));
  CHECK_FALSE(r.check.ok);
  CHECK(r.failure == hc::finding_kind::unexpected_source);
  REQUIRE(r.dns);
  REQUIRE(r.dns->unexpected_sources.size() == 1);
  CHECK(r.dns->unexpected_sources[0] == stray);
  CHECK_FALSE(r.dns->responder);
  CHECK(r.facts["stray_answer"] == "blog.debugo.fr. A 198.18.1.10");
  CHECK(r.check.detail.find("reply from " + stray.str() + ", expected " + target.str()) == 0);
  // It listened until its time was up, and no longer.
  CHECK(r.check.duration_s >= 0.25);
  CHECK(r.check.duration_s < 0.9);

  auto expect = blog_expectation();
  auto f = validate_dns(r, expect);
  REQUIRE(kinds(f) == std::vector<std::string>{"unexpected-source"});
  CHECK(f[0].sev == hc::severity::critical);
  CHECK(f[0].evidence == "reply from " + stray.str() + ", expected " + target.str());
  CHECK(f[0].service == "dns/udp");
  CHECK(f[0].path == "hairpin");
  CHECK(f[0].view == "extra");
  CHECK(f[0].zone == "debugo.fr");
  CHECK(f[0].type == "A");
  CHECK(f[0].fix == "iptables -t nat -A POSTROUTING -s 127.0.0.0/8 -d 127.0.0.3 -p udp --dport " +
                        std::to_string(stray.port) + " -j SNAT --to 127.0.0.2");
}

TEST_CASE("dns probe: a stray reply followed by the right one is accepted and the stray recorded") {
  asio::io_context io;
  reply_spec spec;
  spec.answer = {extra_a};
  udp_server server(
      io, "127.0.0.2",
      [&](const hc::probes::dns_bytes& q) {
        return std::vector<udp_send>{{1, make_reply(q, spec)}, {0, make_reply(q, spec)}};
      },
      {"127.0.0.3"});
  auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/udp"));
  CHECK(r.check.ok);
  CHECK(!r.failure.has_value());
  REQUIRE(r.dns);
  CHECK(r.dns->unexpected_sources.size() == 1);
  CHECK(*r.dns->responder == to_hc(server.endpoint()));
  CHECK(validate_dns(r, blog_expectation()).empty());
}

TEST_CASE("dns probe: wrong-ID and wrong-question replies are counted and dropped, the right one accepted") {
  SUBCASE("udp") {
    asio::io_context io;
    udp_server server(io, "127.0.0.2", [&](const hc::probes::dns_bytes& q) {
      reply_spec bad_id, bad_name, good;
      bad_id.answer = bad_name.answer = {intra_a};
      bad_id.id_delta = 1;
      bad_name.qname = "www.debugo.fr.";
      good.answer = {extra_a};
      return std::vector<udp_send>{{0, make_reply(q, bad_id)},
                                   {0, make_reply(q, bad_name)},
                                   {0, hc::probes::dns_bytes{1, 2, 3}},
                                   {0, make_reply(q, good)}};
    });
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/udp"));
    CHECK(r.check.ok);
    REQUIRE(r.dns);
    CHECK(r.dns->mismatched == 3);
    CHECK(r.dns->answer == std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"});
    CHECK(validate_dns(r, blog_expectation()).empty());
  }
  SUBCASE("tcp") {
    asio::io_context io;
    tcp_server server(io, "127.0.0.2", 0, [&](const hc::probes::dns_bytes& q) {
      reply_spec bad_id, good;
      bad_id.answer = {intra_a};
      bad_id.id_delta = 7;
      good.answer = {extra_a};
      // The wrong reply and the first byte of the right one together, the rest apart.
      auto first = framed(make_reply(q, bad_id));
      auto second = framed(make_reply(q, good));
      first.push_back(second.front());
      return std::vector<hc::probes::dns_bytes>{first, hc::probes::dns_bytes(second.begin() + 1, second.end())};
    });
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/tcp"));
    CHECK(r.check.ok);
    REQUIRE(r.dns);
    CHECK(r.dns->mismatched == 1);
    CHECK(r.dns->answer == std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"});
    CHECK(validate_dns(r, blog_expectation()).empty());
  }
}

TEST_CASE("dns probe: a silent server is a timeout within the bound, over UDP and TCP") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    udp_server u(io, "127.0.0.2", [](const hc::probes::dns_bytes&) { return std::vector<udp_send>{}; });
    tcp_server t(io, "127.0.0.2", u.endpoint().port(),
                 [](const hc::probes::dns_bytes&) { return std::vector<hc::probes::dns_bytes>{}; });
    auto r = run_probe(io, blog_request(to_hc(u.endpoint()), service, 300ms));
    CHECK_FALSE(r.check.ok);
    CHECK(r.failure == hc::finding_kind::timeout);
    CHECK(r.check.duration_s >= 0.25);
    CHECK(r.check.duration_s < 0.9);
    CHECK((service == "dns/udp" ? u.queries : t.queries) == 1);
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"timeout"});
    CHECK(f[0].sev == hc::severity::critical);
    CHECK(f[0].evidence.find("no reply from 127.0.0.2#") == 0);
    CHECK_FALSE(f[0].fix.empty());
  }
}

TEST_CASE("dns probe: a request without a deadline sends nothing and is not-checked") {
  asio::io_context io;
  udp_server u(io, "127.0.0.2", [](const hc::probes::dns_bytes&) { return std::vector<udp_send>{}; });
  auto req = blog_request(to_hc(u.endpoint()), "dns/udp");
  req.deadline = {};
  auto r = run_probe(io, req);
  CHECK(r.failure == hc::finding_kind::not_checked);
  CHECK(r.check.detail.find("internal error") == 0);
  io.restart();
  io.run_for(50ms);
  CHECK(u.queries == 0);
}

TEST_CASE("dns probe: a closed port is refused, over UDP (ICMP) and TCP (RST)") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    std::uint16_t port = 0;
    {
      asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
      port = s.local_endpoint().port();
    }
    hc::ip_endpoint target{*hc::ip_address::parse("127.0.0.2"), port};
    auto r = run_probe(io, blog_request(target, service, 800ms));
    CHECK_FALSE(r.check.ok);
    CHECK(r.failure == hc::finding_kind::refused);
    CHECK(r.check.duration_s < 0.5);
    CAPTURE(r.check.detail);
    if (service == "dns/udp") CHECK(r.check.detail.find("ICMP Connection refused from 127.0.0.2") == 0);
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"refused"});
    CHECK(f[0].sev == hc::severity::critical);
    CHECK(f[0].address == "127.0.0.2");
  }
}

TEST_CASE("dns probe: a truncated UDP answer is fetched again over TCP") {
  asio::io_context io;
  udp_server u(io, "127.0.0.2", [](const hc::probes::dns_bytes& q) {
    reply_spec tc;
    tc.tc = true;
    return std::vector<udp_send>{{0, make_reply(q, tc)}};
  });
  tcp_server t(io, "127.0.0.2", u.endpoint().port(), [](const hc::probes::dns_bytes& q) {
    reply_spec full;
    full.answer = {extra_a};
    return std::vector<hc::probes::dns_bytes>{framed(make_reply(q, full))};
  });
  auto r = run_probe(io, blog_request(to_hc(u.endpoint()), "dns/udp"));
  CHECK(r.check.ok);
  CHECK(!r.failure.has_value());
  REQUIRE(r.dns);
  CHECK(r.dns->tc);
  CHECK(r.dns->tcp_fallback);
  CHECK(r.dns->answer == std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"});
  CHECK(t.queries == 1);
  CHECK(has_phase(r, "connect"));
  CHECK(validate_dns(r, blog_expectation()).empty());
}

TEST_CASE("dns probe: a truncated UDP answer without TCP is truncated-no-tcp") {
  asio::io_context io;
  udp_server u(io, "127.0.0.2", [](const hc::probes::dns_bytes& q) {
    reply_spec tc;
    tc.tc = true;
    return std::vector<udp_send>{{0, make_reply(q, tc)}};
  });
  auto r = run_probe(io, blog_request(to_hc(u.endpoint()), "dns/udp"));
  CHECK_FALSE(r.check.ok);
  CHECK(r.failure == hc::finding_kind::truncated_no_tcp);
  REQUIRE(r.dns);
  CHECK(r.dns->tc);
  CHECK_FALSE(r.dns->tcp_fallback);
  auto f = validate_dns(r, blog_expectation());
  REQUIRE(kinds(f) == std::vector<std::string>{"truncated-no-tcp"});
  CHECK(f[0].sev == hc::severity::warning);
}

TEST_CASE("dns probe: an answer from the internal view's data through the hairpin is view-leak") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {intra_a};
    dual_server server(io, spec);
    auto r = run_probe(io, blog_request(server.target(), service));
    CHECK(r.check.ok);
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"view-leak"});
    CHECK(f[0].sev == hc::severity::critical);
    CHECK(f[0].evidence.find("view intra") != std::string::npos);
    CHECK(f[0].service == service);
  }
}

TEST_CASE("dns probe: an answer in neither view is wrong-answer") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {"blog.debugo.fr. 300 IN A 192.0.2.99"};
    dual_server server(io, spec);
    auto r = run_probe(io, blog_request(server.target(), service));
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"wrong-answer"});
    CHECK(f[0].evidence.find("192.0.2.99") != std::string::npos);
  }
}

TEST_CASE("dns probe: a lagging SOA serial is stale-zone") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {soa_lagging};
    dual_server server(io, spec);
    auto req = blog_request(server.target(), service);
    req.name = "debugo.fr";
    req.qname = "debugo.fr.";
    req.qtype = LDNS_RR_TYPE_SOA;
    auto r = run_probe(io, req);
    CHECK(r.check.ok);
    REQUIRE(r.check.served_serial);
    CHECK(*r.check.served_serial == 2024090101u);
    dns_expectation e;
    e.zone = "debugo.fr.";
    e.view = "extra";
    e.qtype = LDNS_RR_TYPE_SOA;
    e.expected_answer = {"debugo.fr. SOA ns.debugo.fr. hostmaster.debugo.fr. 2024091101 3600 900 604800 300"};
    e.file_serial = 2024091101;
    auto f = validate_dns(r, e);
    REQUIRE(kinds(f) == std::vector<std::string>{"stale-zone"});
    CHECK(f[0].sev == hc::severity::warning);
    CHECK(f[0].evidence == "served serial 2024090101, zone file of view extra has 2024091101");
    CHECK(f[0].type == "SOA");
    // The current serial gives nothing.
    e.file_serial = 2024090101;
    e.expected_answer = {"debugo.fr. SOA ns.debugo.fr. hostmaster.debugo.fr. 2024090101 3600 900 604800 300"};
    CHECK(validate_dns(r, e).empty());
  }
}

TEST_CASE("dns probe: IPv6 loopback, answered and refused") {
  asio::io_context io;
  std::unique_ptr<udp_server> server;
  try {
    server = std::make_unique<udp_server>(io, "::1", [](const hc::probes::dns_bytes& q) {
      reply_spec spec;
      spec.answer = {extra_a};
      return std::vector<udp_send>{{0, make_reply(q, spec)}};
    });
  } catch (const std::exception&) {
    MESSAGE("no IPv6 loopback here");
    return;
  }
  auto target = to_hc(server->endpoint());
  CHECK(target.address.v6);
  auto r = run_probe(io, blog_request(target, "dns/udp"));
  CHECK(r.check.ok);
  CHECK(r.check.address == "::1");
  REQUIRE(r.dns->responder);
  CHECK(*r.dns->responder == target);
  io.restart();
  server.reset();
  auto refused = run_probe(io, blog_request(target, "dns/udp", 800ms));
  CHECK(refused.failure == hc::finding_kind::refused);
  CHECK(refused.check.duration_s < 0.5);
}

TEST_CASE("dns probe: hostile TCP framing and a connection closed early are reset, not a hang") {
  SUBCASE("length below a DNS header") {
    asio::io_context io;
    tcp_server server(io, "127.0.0.2", 0, [](const hc::probes::dns_bytes&) {
      return std::vector<hc::probes::dns_bytes>{{0, 2, 1, 2}};
    });
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/tcp", 800ms));
    CHECK(r.failure == hc::finding_kind::reset);
    CHECK(r.check.detail.find("bad TCP framing") == 0);
    CHECK(r.check.duration_s < 0.5);
  }
  SUBCASE("maximum length announced, then silence") {
    asio::io_context io;
    tcp_server server(io, "127.0.0.2", 0, [](const hc::probes::dns_bytes&) {
      return std::vector<hc::probes::dns_bytes>{{0xff, 0xff, 0x12, 0x34}};
    });
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/tcp", 300ms));
    CHECK(r.failure == hc::finding_kind::timeout);
    CHECK(r.check.duration_s < 0.9);
  }
  SUBCASE("closed by the server before a reply") {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
    acceptor.async_accept([](boost::system::error_code, asio::ip::tcp::socket s) {
      boost::system::error_code ec;
      s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    });
    auto r = run_probe(io, blog_request(to_hc(acceptor.local_endpoint()), "dns/tcp", 800ms));
    CHECK(r.failure == hc::finding_kind::reset);
    CHECK(r.check.duration_s < 0.5);
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"reset"});
  }
}

TEST_CASE("dns probe: queries leave from the context's source address and a random port") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {extra_a};
    dual_server server(io, spec);
    auto req = blog_request(server.target(), service);
    auto r = run_probe(io, req, hc::ip_address::parse("127.0.0.5"));
    CHECK(r.check.ok);
    auto peer = service == "dns/udp" ? server.udp.last_peer.address() : server.tcp.last_peer.address();
    CHECK(peer.to_string() == "127.0.0.5");
    if (service == "dns/udp") {
      auto first = server.udp.last_peer.port();
      io.restart();
      CHECK(run_probe(io, req).check.ok);
      CHECK(server.udp.last_peer.port() != first);
      CHECK(server.udp.last_peer.port() != 53);
    }
  }
}

namespace {

// A TCP peer that reads the query, then writes what next() gives until the test ends, as fast as
// the socket takes it (or at the pace next() sleeps): it keeps the probe's socket readable.
struct endless_tcp_peer {
  endless_tcp_peer(std::function<hc::probes::dns_bytes(const hc::probes::dns_bytes& query)> next)
      : acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0)) {
    port = acceptor.local_endpoint().port();
    thread = std::thread([this, next] {
      boost::system::error_code ec;
      asio::ip::tcp::socket s(io);
      acceptor.accept(s, ec);
      if (ec) return;
      std::array<std::uint8_t, 4096> buf{};
      hc::probes::tcp_frame_decoder d;
      std::optional<hc::probes::dns_bytes> q;
      while (!q && !stop) {
        std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) return;
        d.feed(std::span<const std::uint8_t>(buf.data(), n));
        q = d.next();
      }
      while (!stop && !ec) asio::write(s, asio::buffer(next(*q)), ec);
    });
  }
  ~endless_tcp_peer() {
    stop = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    thread.join();
  }
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::atomic<bool> stop{false};
  std::thread thread;
};

void check_hostile_timeout(const probe_result& r, double timeout_s) {
  INFO("detail: " << r.check.detail << ", stage " << r.check.stage);
  CHECK(r.failure == hc::finding_kind::timeout);
  CHECK(r.check.duration_s >= timeout_s - 0.05);
  CHECK(r.check.duration_s < timeout_s + 0.5);
}

}  // namespace

TEST_CASE("dns probe over TCP: endless wrong-ID replies end at the deadline as a timeout") {
  endless_tcp_peer peer([](const hc::probes::dns_bytes& q) {
    reply_spec bad;
    bad.id_delta = 1;
    bad.answer = {intra_a};
    return framed(make_reply(q, bad));
  });
  asio::io_context io;
  auto start = clock::now();
  auto r = run_probe(io, blog_request({*hc::ip_address::parse("127.0.0.2"), peer.port}, "dns/tcp", 400ms));
  CHECK(clock::now() - start < 900ms);
  check_hostile_timeout(r, 0.4);
  REQUIRE(r.dns);
  CHECK(r.dns->mismatched > 0);
}

TEST_CASE("dns probe over TCP: a huge length, then a byte at a time, ends at the deadline as a timeout") {
  bool first = true;
  endless_tcp_peer peer([&first](const hc::probes::dns_bytes&) {
    if (first) {
      first = false;
      return hc::probes::dns_bytes{0xff, 0xff};
    }
    std::this_thread::sleep_for(1ms);
    return hc::probes::dns_bytes{0x00};
  });
  asio::io_context io;
  auto r = run_probe(io, blog_request({*hc::ip_address::parse("127.0.0.2"), peer.port}, "dns/tcp", 400ms));
  check_hostile_timeout(r, 0.4);
}

TEST_CASE("dns probe over UDP: a flood of wrong-ID replies from the server ends at the deadline as a timeout") {
  // The server's own socket, in a thread: it takes the query, then answers it with wrong IDs as
  // fast as it can until the test ends.
  asio::io_context server_io;
  asio::ip::udp::socket s(server_io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
  std::atomic<bool> stop{false};
  std::atomic<unsigned long> sent{0};
  std::thread flood([&] {
    std::array<std::uint8_t, 512> buf{};
    asio::ip::udp::endpoint from;
    boost::system::error_code ec;
    std::size_t n = s.receive_from(asio::buffer(buf), from, 0, ec);
    if (ec) return;
    reply_spec bad;
    bad.id_delta = 1;
    bad.answer = {intra_a};
    auto bytes = make_reply(hc::probes::dns_bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), bad);
    while (!stop) {
      s.send_to(asio::buffer(bytes), from, 0, ec);
      ++sent;
    }
  });
  asio::io_context io;
  auto start = clock::now();
  auto r = run_probe(io, blog_request(to_hc(s.local_endpoint()), "dns/udp", 400ms));
  auto took = clock::now() - start;
  stop = true;
  flood.join();
  CHECK(took < 900ms);
  CHECK(sent.load() > 100);
  check_hostile_timeout(r, 0.4);
  REQUIRE(r.dns);
  CHECK(r.dns->mismatched > 0);
  CHECK(r.dns->unexpected_sources.empty());
}

TEST_CASE("dns probe: stray datagrams from another address that are no reply to our query are ignored and counted") {
  SUBCASE("seven NUL bytes and a wrong-ID reply from 127.0.0.3, nothing from the server: timeout") {
    asio::io_context io;
    udp_server server(
        io, "127.0.0.2",
        [](const hc::probes::dns_bytes& q) {
          reply_spec bad;
          bad.id_delta = 1;
          bad.answer = {intra_a};
          return std::vector<udp_send>{{1, hc::probes::dns_bytes(7, 0)}, {1, make_reply(q, bad)}};
        },
        {"127.0.0.3"});
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/udp", 300ms));
    INFO(r.check.detail);
    CHECK(r.failure == hc::finding_kind::timeout);
    REQUIRE(r.dns);
    CHECK(r.dns->unexpected_sources.empty());
    CHECK(r.dns->stray_ignored == 2);
    CHECK(r.check.detail.find("(2 stray datagrams ignored)") != std::string::npos);
    auto f = validate_dns(r, blog_expectation());
    REQUIRE(kinds(f) == std::vector<std::string>{"timeout"});
  }
  SUBCASE("seven NUL bytes from 127.0.0.3, then the right reply: OK, the stray one counted") {
    asio::io_context io;
    udp_server server(
        io, "127.0.0.2",
        [](const hc::probes::dns_bytes& q) {
          reply_spec good;
          good.answer = {extra_a};
          return std::vector<udp_send>{{1, hc::probes::dns_bytes(7, 0)}, {0, make_reply(q, good)}};
        },
        {"127.0.0.3"});
    auto r = run_probe(io, blog_request(to_hc(server.endpoint()), "dns/udp"));
    CHECK(r.check.ok);
    REQUIRE(r.dns);
    CHECK(r.dns->unexpected_sources.empty());
    CHECK(r.check.detail.find("1 stray datagram ignored") != std::string::npos);
    CHECK(validate_dns(r, blog_expectation()).empty());
  }
}

TEST_CASE("dns probe: a name the encoder cannot encode is not-checked at stage encode, nothing sent") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    reply_spec spec;
    spec.answer = {extra_a};
    dual_server server(io, spec);
    auto req = blog_request(server.target(), service);
    req.qname = std::string(64, 'a') + ".debugo.fr.";
    auto r = run_probe(io, req);
    CHECK_FALSE(r.check.ok);
    CHECK(r.failure == hc::finding_kind::not_checked);
    CHECK(r.check.stage == "encode");
    CHECK(r.check.detail == "unsupported name: label longer than 63 octets");
    CHECK(server.udp.queries + server.tcp.queries == 0);
  }
  CHECK(dns_name_problem(std::string(63, 'a') + ".fr.") == std::nullopt);
  CHECK(dns_name_problem("a..fr.") == std::optional<std::string>("empty label"));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'b') + ".";
  CHECK(dns_name_problem(long_name) == std::optional<std::string>("name longer than 255 octets"));
}

TEST_CASE("dns probe: the vantage point's own failures are not-checked, never the server's") {
  auto check_local = [](const probe_result& r, const std::string& errno_text) {
    INFO("detail: " << r.check.detail << ", stage " << r.check.stage);
    CHECK(r.failure == hc::finding_kind::not_checked);
    CHECK(r.check.detail.find("the vantage point cannot send: " + errno_text) == 0);
    CHECK(r.hint.find("nothing is known about the server") != std::string::npos);
  };
  SUBCASE("UDP to the limited broadcast address: EACCES from this host") {
    asio::io_context io;
    check_local(run_probe(io, blog_request({*hc::ip_address::parse("255.255.255.255"), 53}, "dns/udp", 300ms)),
                "Permission denied");
  }
  SUBCASE("TCP to a multicast address: ENETUNREACH from this host") {
    asio::io_context io;
    check_local(run_probe(io, blog_request({*hc::ip_address::parse("224.0.0.1"), 53}, "dns/tcp", 300ms)),
                "Network is unreachable");
  }
  SUBCASE("a source address this host does not have: EADDRNOTAVAIL") {
    for (std::string service : {"dns/udp", "dns/tcp"}) {
      CAPTURE(service);
      asio::io_context io;
      reply_spec spec;
      dual_server server(io, spec);
      check_local(run_probe(io, blog_request(server.target(), service, 300ms), hc::ip_address::parse("198.51.100.77")),
                  "Cannot assign requested address");
    }
  }
  SUBCASE("out of file descriptors: EMFILE") {
    for (std::string service : {"dns/udp", "dns/tcp"}) {
      CAPTURE(service);
      asio::io_context io;
      reply_spec spec;
      dual_server server(io, spec);
      auto req = blog_request(server.target(), service, 300ms);
      rlimit old{};
      REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
      rlimit low = old;
      low.rlim_cur = std::min<rlim_t>(old.rlim_cur, 256);
      REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
      std::vector<int> fds;
      for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) fds.push_back(fd);
      auto r = run_probe(io, req);
      for (int fd : fds) ::close(fd);
      ::setrlimit(RLIMIT_NOFILE, &old);
      check_local(r, "Too many open files");
    }
  }
}
