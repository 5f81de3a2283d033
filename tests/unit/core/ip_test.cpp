#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <string>

#include "core/ip.hpp"

using hc::ip_address;
using hc::ip_endpoint;
using hc::ip_prefix;

TEST_CASE("ip_address parses and prints IPv4 and IPv6") {
  CHECK(ip_address::parse("198.18.1.53")->str() == "198.18.1.53");
  CHECK(ip_address::parse("2001:DB8::1")->str() == "2001:db8::1");
  CHECK_FALSE(ip_address::parse("198.18.1"));
  CHECK_FALSE(ip_address::parse("not-an-address"));
  CHECK(ip_address::parse("127.0.0.2")->is_loopback());
  CHECK(ip_address::parse("::1")->is_loopback());
}

TEST_CASE("ip_address prints every IPv4 octet as inet_ntop does") {
  // str() formats IPv4 itself; inet_ntop is the reference.
  for (unsigned b = 0; b < 256; ++b) {
    for (unsigned pos = 0; pos < 4; ++pos) {
      ip_address a;
      a.bytes[pos] = static_cast<std::uint8_t>(b);
      a.bytes[(pos + 1) % 4] = static_cast<std::uint8_t>(255 - b);
      char ref[INET_ADDRSTRLEN] = {};
      REQUIRE(inet_ntop(AF_INET, a.bytes.data(), ref, sizeof ref));
      CHECK(a.str() == std::string(ref));
    }
  }
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

TEST_CASE("ip_endpoint parses ADDR, ADDR#PORT, [v6] and [v6]:PORT with a default port") {
  auto a = ip_endpoint::parse("198.18.1.53", 53);
  REQUIRE(a);
  CHECK(a->str() == "198.18.1.53#53");
  auto b = ip_endpoint::parse("127.0.0.1#5353", 53);
  REQUIRE(b);
  CHECK(b->port == 5353);
  CHECK(b->address.str() == "127.0.0.1");
  auto c = ip_endpoint::parse("2001:db8::53#5300", 53);
  REQUIRE(c);
  CHECK(c->address.v6);
  CHECK(c->port == 5300);
  auto d = ip_endpoint::parse("[::1]:54", 53);
  REQUIRE(d);
  CHECK(d->address.str() == "::1");
  CHECK(d->port == 54);
  CHECK(ip_endpoint::parse("[::1]#55", 53)->port == 55);
  CHECK(ip_endpoint::parse("[::1]", 53)->port == 53);
  CHECK(ip_endpoint::parse(" 10.0.0.1 ", 5353)->port == 5353);
  CHECK(ip_endpoint::parse("\t10.0.0.1#25\t", 53)->port == 25);
  CHECK(ip_endpoint::parse("10.0.0.1#65535", 53)->port == 65535);
  CHECK(*ip_endpoint::parse("10.0.0.1#853", 53) == ip_endpoint{*ip_address::parse("10.0.0.1"), 853});
}

TEST_CASE("ip_endpoint refuses names, empty or out-of-range ports and broken brackets") {
  CHECK_FALSE(ip_endpoint::parse("", 53));
  CHECK_FALSE(ip_endpoint::parse("   ", 53));
  CHECK_FALSE(ip_endpoint::parse("resolver.example", 53));
  CHECK_FALSE(ip_endpoint::parse("resolver.example#53", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1#", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1#0", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1#65536", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1#-1", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1#53x", 53));
  CHECK_FALSE(ip_endpoint::parse("127.0.0.1:53", 53));
  CHECK_FALSE(ip_endpoint::parse("[::1", 53));
  CHECK_FALSE(ip_endpoint::parse("[::1]x", 53));
  CHECK_FALSE(ip_endpoint::parse("[::1]:", 53));
  CHECK_FALSE(ip_endpoint::parse("[]:53", 53));
  CHECK_FALSE(ip_endpoint::parse("#53", 53));
  // A default port of 0 means "no default": the text must name the port.
  CHECK_FALSE(ip_endpoint::parse("10.0.0.1", 0));
}
