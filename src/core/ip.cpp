#include "core/ip.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace hc {

std::optional<ip_address> ip_address::parse(std::string_view text) {
  std::string s(text);
  ip_address a;
  if (s.find(':') != std::string::npos) {
    if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);  // drop a zone index
    in6_addr six{};
    if (inet_pton(AF_INET6, s.c_str(), &six) != 1) return std::nullopt;
    std::memcpy(a.bytes.data(), &six, 16);
    a.v6 = true;
    return a;
  }
  in_addr four{};
  if (inet_pton(AF_INET, s.c_str(), &four) != 1) return std::nullopt;
  std::memcpy(a.bytes.data(), &four, 4);
  return a;
}

std::string ip_address::str() const {
  if (!v6) {  // inet_ntop's dotted quad without its sprintf: rule and view readers render many
    char buf[16];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      unsigned b = bytes[static_cast<std::size_t>(i)];
      if (i) *p++ = '.';
      if (b >= 100) *p++ = static_cast<char>('0' + b / 100);
      if (b >= 10) *p++ = static_cast<char>('0' + b / 10 % 10);
      *p++ = static_cast<char>('0' + b % 10);
    }
    return std::string(buf, static_cast<std::size_t>(p - buf));
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool ip_address::is_loopback() const {
  if (!v6) return bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes[i] != 0) return false;
  return bytes[15] == 1;
}

std::optional<ip_prefix> ip_prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  std::optional<unsigned> len;
  if (slash != std::string_view::npos) {
    unsigned n = 0;
    auto lt = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(lt.data(), lt.data() + lt.size(), n);
    if (ec != std::errc{} || p != lt.data() + lt.size() || lt.empty()) return std::nullopt;
    len = n;
  }
  std::string full(addr);
  if (full.find(':') == std::string::npos) {
    // BIND accepts shortened IPv4 prefixes such as 10/8 or 192.168/16.
    int dots = 0;
    for (char c : full) dots += c == '.';
    if (dots < 3 && len) {
      for (; dots < 3; ++dots) full += ".0";
    }
  }
  auto a = ip_address::parse(full);
  if (!a) return std::nullopt;
  ip_prefix p{*a, len.value_or(a->bits())};
  if (p.length > a->bits()) return std::nullopt;
  // Clear host bits so equal prefixes compare equal.
  for (unsigned i = p.length; i < a->bits(); ++i) p.network.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
  return p;
}

bool ip_prefix::contains(const ip_address& a) const {
  if (a.v6 != network.v6) return false;
  unsigned full = length / 8, rest = length % 8;
  if (std::memcmp(a.bytes.data(), network.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (a.bytes[full] & mask) == (network.bytes[full] & mask);
}

std::string ip_prefix::str() const {
  if (length == network.bits()) return network.str();
  return network.str() + "/" + std::to_string(length);
}

std::optional<ip_endpoint> ip_endpoint::parse(std::string_view text, std::uint16_t default_port) {
  auto parse_port = [](std::string_view p) -> std::optional<std::uint16_t> {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || v == 0 || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
  };
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string_view addr = text;
  std::optional<std::uint16_t> port;
  if (default_port != 0) port = default_port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    addr = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' && rest.front() != '#') return std::nullopt;
      port = parse_port(rest.substr(1));
    }
  } else if (auto hash = text.find('#'); hash != std::string_view::npos) {
    addr = text.substr(0, hash);
    port = parse_port(text.substr(hash + 1));
  }
  if (!port || addr.empty()) return std::nullopt;
  auto a = ip_address::parse(addr);
  if (!a) return std::nullopt;
  return ip_endpoint{*a, *port};
}

std::string ip_endpoint::str() const { return address.str() + "#" + std::to_string(port); }

}  // namespace hc
