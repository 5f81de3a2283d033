#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "check/execute.hpp"
#include "core/asio.hpp"

using namespace hc;
using namespace std::chrono_literals;

TEST_CASE("execute ends at the run's deadline however many probes wait") {
  // A UDP socket that never answers: every DNS probe to it can only time out.
  asio::io_context io;
  asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<probes::probe_request> reqs;
  for (int i = 0; i < 20; ++i) {
    probes::probe_request r;
    r.name = "blog.debugo.fr";
    r.service = "dns/udp";
    r.path = "hairpin";
    r.qname = "blog.debugo.fr.";
    r.target = {*ip_address::parse("127.0.0.1"), silent.local_endpoint().port()};
    reqs.push_back(r);
  }
  check::execute_options eo;
  eo.deadline = probes::clock::now() + 400ms;
  eo.probe_timeout = 5000ms;
  eo.concurrency = 4;
  auto t0 = probes::clock::now();
  auto results = check::execute(reqs, eo);
  auto took = probes::clock::now() - t0;
  CHECK(took < 1500ms);
  REQUIRE(results.size() == reqs.size());
  // The first four ran into the deadline: timeouts that took the run's 400 ms. The others never
  // started: not-checked, blaming nobody.
  for (std::size_t i = 0; i < results.size(); ++i) {
    CAPTURE(i);
    const auto& r = results[i];
    CHECK_FALSE(r.check.ok);
    if (i < 4) {
      CHECK(r.failure == hc::finding_kind::timeout);
      CHECK(r.check.duration_s >= 0.35);
    } else {
      CHECK(r.failure == hc::finding_kind::not_checked);
      CHECK(r.check.stage == "deadline");
      CHECK(r.check.detail == "not started: the run's deadline came first; raise -t or lower the number of names");
      CHECK(r.hint.find("nothing is known about the server") != std::string::npos);
    }
  }
}

TEST_CASE("execute gives each probe min(now + probe timeout, run deadline), computed once") {
  // A TCP server that accepts and never speaks: the SMTP probe can only wait for its banner.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  probes::probe_request r;
  r.name = "mail.debugo.fr";
  r.service = "smtp";
  r.path = "hairpin";
  r.target = {*ip_address::parse("127.0.0.1"), acceptor.local_endpoint().port()};
  for (auto bounds : {std::pair{400ms, 5000ms}, std::pair{5000ms, 400ms}}) {
    // Named variables, not a structured binding: clang 14 cannot capture those (CAPTURE).
    const auto run = bounds.first;
    const auto probe = bounds.second;
    CAPTURE(run.count());
    check::execute_options eo;
    eo.deadline = probes::clock::now() + run;
    eo.probe_timeout = probe;
    auto t0 = probes::clock::now();
    auto results = check::execute({r}, eo);
    auto took = probes::clock::now() - t0;
    REQUIRE(results.size() == 1);
    CHECK(results[0].failure == hc::finding_kind::timeout);
    CHECK(results[0].check.stage == "banner");
    CHECK(took >= 350ms);
    CHECK(took < 900ms);
    CHECK(results[0].check.duration_s >= 0.35);
    CHECK(results[0].check.duration_s < 0.9);
  }
}

TEST_CASE("execute reports an unknown service without sending anything") {
  probes::probe_request r;
  r.service = "gopher";
  r.target = {*ip_address::parse("127.0.0.1"), 70};
  check::execute_options eo;
  eo.deadline = probes::clock::now() + 1000ms;
  auto results = check::execute({r}, eo);
  REQUIRE(results.size() == 1);
  CHECK(results[0].check.stage == "internal");
  CHECK(results[0].failure == hc::finding_kind::not_checked);
  CHECK(results[0].check.detail.find("internal error: ") == 0);
}

TEST_CASE("skipped_result carries the gate's failure") {
  probes::probe_request r;
  r.name = "www.debugo.fr";
  r.service = "dns/udp";
  r.path = "hairpin";
  r.target = {*ip_address::parse("203.0.113.1"), 53};
  probes::probe_result gate;
  gate.failure = hc::finding_kind::unexpected_source;
  gate.check.name = "debugo.fr";
  gate.check.service = "dns/udp";
  gate.check.address = "203.0.113.1";
  gate.check.port = 53;
  auto s = check::skipped_result(r, gate);
  CHECK(s.failure == hc::finding_kind::unexpected_source);
  CHECK(s.check.stage == "skipped");
  CHECK(s.check.name == "www.debugo.fr");
  CHECK(s.check.detail.find("unexpected-source") != std::string::npos);
}

TEST_CASE("execute shares the requests among several event loops and keeps their order") {
  // An open port (connections wait in the backlog) and a closed one, interleaved.
  asio::io_context io;
  asio::ip::tcp::acceptor open(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::ip::tcp::acceptor closing(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto open_port = open.local_endpoint().port();
  const auto closed_port = closing.local_endpoint().port();
  closing.close();
  std::vector<probes::probe_request> reqs;
  for (int i = 0; i < 300; ++i) {
    probes::probe_request r;
    r.name = "n" + std::to_string(i) + ".debugo.fr";
    const auto port = i % 3 == 0 ? closed_port : open_port;
    r.service = "tcp/" + std::to_string(port);
    r.path = "direct";
    r.target = {*ip_address::parse("127.0.0.1"), port};
    reqs.push_back(r);
  }
  for (unsigned threads : {1u, 3u, 0u}) {
    CAPTURE(threads);
    check::execute_options eo;
    eo.deadline = probes::clock::now() + 5000ms;
    eo.probe_timeout = 2000ms;
    eo.concurrency = 30;
    eo.threads = threads;
    auto results = check::execute(reqs, eo);
    REQUIRE(results.size() == reqs.size());
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      CHECK(results[i].check.name == reqs[i].name);
      CHECK(results[i].check.port == reqs[i].target.port);
      if (i % 3 == 0) CHECK(results[i].failure == hc::finding_kind::refused);
      else CHECK(results[i].check.ok);
    }
  }
}

TEST_CASE("execute bounds DNS over TCP per server and still runs every request") {
  // A TCP server that holds each connection 30 ms, then closes it, counting how many it holds at once.
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.listen(128);
  const auto port = acceptor.local_endpoint().port();
  std::atomic<int> open{0}, most{0}, accepted{0};
  std::function<void()> accept_one = [&] {
    acceptor.async_accept([&](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      ++accepted;
      int now = ++open;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      auto timer = std::make_shared<asio::steady_timer>(server_io, 30ms);
      timer->async_wait([&, sock, timer](const boost::system::error_code&) {
        --open;
        sock->close();
      });
      accept_one();
    });
  };
  accept_one();
  std::thread server([&] { server_io.run(); });

  std::vector<probes::probe_request> reqs;
  for (int i = 0; i < 40; ++i) {
    probes::probe_request r;
    r.name = "n" + std::to_string(i) + ".debugo.fr";
    r.service = "dns/tcp";
    r.path = "hairpin";
    r.qname = r.name + ".";
    r.target = {*ip_address::parse("127.0.0.1"), port};
    reqs.push_back(r);
  }
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    most = 0;
    accepted = 0;
    check::execute_options eo;
    eo.deadline = probes::clock::now() + 5000ms;
    eo.probe_timeout = 2000ms;
    eo.concurrency = 64;
    eo.threads = threads;
    eo.dns_tcp_per_server = 4;
    auto results = check::execute(reqs, eo);
    REQUIRE(results.size() == reqs.size());
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      CHECK(results[i].check.name == reqs[i].name);
      CHECK(results[i].check.stage != "deadline");
    }
    CHECK(accepted.load() == 40);
    CHECK(most.load() <= 4);
    CHECK(most.load() >= 2);
  }
  server_io.stop();
  server.join();
}
