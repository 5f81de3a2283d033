#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "probes/dns.hpp"

using namespace hc::probes;

TEST_CASE("resolv.conf: the first usable nameserver") {
  CHECK(first_nameserver("nameserver 198.18.1.53\nnameserver 1.1.1.1\n")->str() == "198.18.1.53");
  CHECK(first_nameserver("# nameserver 9.9.9.9\n; nameserver 8.8.8.8\nsearch debugo.fr\n"
                         "options ndots:1\n  nameserver\t::1  # local\n")
            ->str() == "::1");
  CHECK(first_nameserver("nameserver fe80::1%eth0\n")->str() == "fe80::1");
  CHECK(first_nameserver("nameserver bogus\nnameserver 10.0.0.2")->str() == "10.0.0.2");
  CHECK(first_nameserver("nameservers 10.0.0.3\n#nameserver 10.0.0.4") == std::nullopt);
  CHECK_FALSE(first_nameserver(""));
  CHECK_FALSE(first_nameserver("nameserver"));
}

TEST_CASE("resolv.conf: read from a file") {
  char tmpl[] = "/tmp/hc_resolv_conf_XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::string path = tmpl;
  {
    std::ofstream f(path);
    f << "search lan\nnameserver 198.18.1.53\n";
  }
  auto a = read_first_nameserver(path);
  std::remove(path.c_str());
  REQUIRE(a);
  CHECK(a->str() == "198.18.1.53");
  CHECK_FALSE(read_first_nameserver("/nonexistent/resolv.conf"));
}
