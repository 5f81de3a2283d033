#pragma once
// IPv4/IPv6 addresses and prefixes as plain values, without any socket library.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hc {

// An IPv4 or IPv6 address; IPv4 is kept in its 4 first bytes.
struct ip_address {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  static std::optional<ip_address> parse(std::string_view text);
  std::string str() const;
  unsigned bits() const { return v6 ? 128 : 32; }
  bool is_loopback() const;
  auto operator<=>(const ip_address&) const = default;
};

// An address prefix such as 198.18.1.0/24 or 2001:db8::/32; a plain address is a full-length prefix.
struct ip_prefix {
  ip_address network;
  unsigned length = 0;

  // Accepts "a.b.c.d", "a.b.c.d/len", "a.b.c/len" (BIND's short IPv4 prefixes), IPv6 with /len.
  static std::optional<ip_prefix> parse(std::string_view text);
  bool contains(const ip_address& a) const;
  bool contains(const ip_prefix& p) const { return p.length >= length && contains(p.network); }
  std::string str() const;
  auto operator<=>(const ip_prefix&) const = default;
};

// An address with a port, printed the way dig does: "198.18.1.53#53".
struct ip_endpoint {
  ip_address address;
  std::uint16_t port = 0;

  // "ADDR" or "ADDR#PORT" (dig's notation; IPv6 also as "[ADDR]" or "[ADDR]:PORT"), blanks around
  // it ignored; the port must be 1..65535 and defaults to default_port (0: the text must name one).
  // Empty optional for anything else, host names included.
  static std::optional<ip_endpoint> parse(std::string_view text, std::uint16_t default_port);
  std::string str() const;
  auto operator<=>(const ip_endpoint&) const = default;
};

}  // namespace hc
