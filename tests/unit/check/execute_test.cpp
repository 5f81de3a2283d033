#include <doctest/doctest.h>

#include <chrono>

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
  for (const auto& r : results) {
    CHECK_FALSE(r.check.ok);
    CHECK(r.failure == "timeout");
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
}

TEST_CASE("skipped_result carries the gate's failure") {
  probes::probe_request r;
  r.name = "www.debugo.fr";
  r.service = "dns/udp";
  r.path = "hairpin";
  r.target = {*ip_address::parse("203.0.113.1"), 53};
  probes::probe_result gate;
  gate.failure = "unexpected-source";
  gate.check.name = "debugo.fr";
  gate.check.service = "dns/udp";
  gate.check.address = "203.0.113.1";
  gate.check.port = 53;
  auto s = check::skipped_result(r, gate);
  CHECK(s.failure == "unexpected-source");
  CHECK(s.check.stage == "skipped");
  CHECK(s.check.name == "www.debugo.fr");
  CHECK(s.check.detail.find("unexpected-source") != std::string::npos);
}
