#include <doctest/doctest.h>

#include "check/oneshot.hpp"

using namespace hc;

TEST_CASE("oneshot: addresses and the zone come out of canonical answers") {
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

TEST_CASE("oneshot: without resolver or external DNS it says what it could not do") {
  check::run_options o;
  o.names = {"blog.debugo.fr."};
  o.services = {"dns/udp"};
  check::execute_options eo;
  eo.deadline = probes::clock::now() + std::chrono::seconds(1);
  run_result r;
  check::run_without_config(o, std::nullopt, eo, r);
  CHECK(r.checks.empty());
  bool said_resolver = false, said_external = false;
  for (const auto& n : r.notes) {
    said_resolver |= n.find("no resolver") != std::string::npos;
    said_external |= n.find("--external-dns") != std::string::npos;
  }
  CHECK(said_resolver);
  CHECK(said_external);
}
