#include <doctest/doctest.h>

#include "core/ip.hpp"

using hc::ip_address;
using hc::ip_prefix;

TEST_CASE("ip_address parses and prints IPv4 and IPv6") {
  CHECK(ip_address::parse("198.18.1.53")->str() == "198.18.1.53");
  CHECK(ip_address::parse("2001:DB8::1")->str() == "2001:db8::1");
  CHECK_FALSE(ip_address::parse("198.18.1"));
  CHECK_FALSE(ip_address::parse("not-an-address"));
  CHECK(ip_address::parse("127.0.0.2")->is_loopback());
  CHECK(ip_address::parse("::1")->is_loopback());
}

TEST_CASE("ip_prefix contains addresses of its own family only") {
  auto lan = *ip_prefix::parse("198.18.1.0/24");
  CHECK(lan.contains(*ip_address::parse("198.18.1.99")));
  CHECK_FALSE(lan.contains(*ip_address::parse("198.18.2.1")));
  CHECK_FALSE(lan.contains(*ip_address::parse("::ffff:198.18.1.99")));
  auto v6 = *ip_prefix::parse("2001:db8::/32");
  CHECK(v6.contains(*ip_address::parse("2001:db8:1::5")));
  CHECK(ip_prefix::parse("198.18.1.77/24")->str() == "198.18.1.0/24");
  CHECK(ip_prefix::parse("10/8")->str() == "10.0.0.0/8");
  CHECK(ip_prefix::parse("0.0.0.0/0")->contains(*ip_address::parse("203.0.113.1")));
  CHECK_FALSE(ip_prefix::parse("198.18.1.0/33"));
  CHECK_FALSE(ip_prefix::parse("198.18.1.0/"));
}
