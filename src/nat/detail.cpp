#include "nat/detail.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hc::nat::detail {

std::string_view first_content_line(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    return line;
  }
  return {};
}

std::optional<int> protocol_number(std::string_view name) {
  if (name == "tcp" || name == "TCP") return proto_tcp;
  if (name == "udp" || name == "UDP") return proto_udp;
  if (name == "icmp" || name == "ICMP") return proto_icmp;
  if (name == "sctp") return 132;
  if (name == "gre") return 47;
  if (name == "esp") return 50;
  if (name == "ah") return 51;
  if (name == "icmpv6" || name == "ipv6-icmp") return 58;
  int n = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec != std::errc{} || p != name.data() + name.size() || name.empty() || n < 0 || n > 255) return std::nullopt;
  return n;
}

std::string protocol_name(int proto) {
  switch (proto) {
    case proto_tcp: return "tcp";
    case proto_udp: return "udp";
    case proto_icmp: return "icmp";
    default: return std::to_string(proto);
  }
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  static constexpr std::pair<std::string_view, std::uint16_t> names[] = {
      {"domain", 53}, {"http", 80},   {"https", 443}, {"smtp", 25},       {"imaps", 993}, {"imap", 143},
      {"imap2", 143}, {"ssh", 22},    {"submission", 587}, {"submissions", 465}, {"smtps", 465},
      {"pop3", 110},  {"pop3s", 995}, {"ntp", 123},   {"ftp", 21},        {"www", 80},    {"www-http", 80},
      {"domain-s", 853}};
  for (auto& [n, p] : names)
    if (text == n) return p;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<port_range> parse_port_range(std::string_view text, char sep) {
  auto pos = text.find(sep);
  if (pos == std::string_view::npos) {
    auto p = parse_port(text);
    if (!p) return std::nullopt;
    return port_range{*p, *p};
  }
  // iptables allows open ends: ":1024" and "1024:".
  auto lo_text = text.substr(0, pos), hi_text = text.substr(pos + 1);
  std::optional<std::uint16_t> lo = lo_text.empty() ? std::optional<std::uint16_t>(0) : parse_port(lo_text);
  std::optional<std::uint16_t> hi = hi_text.empty() ? std::optional<std::uint16_t>(65535) : parse_port(hi_text);
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return port_range{*lo, *hi};
}

bool iface_matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && (pattern.back() == '+' || pattern.back() == '*')) {
    auto stem = pattern.substr(0, pattern.size() - 1);
    return name.substr(0, stem.size()) == stem;
  }
  return pattern == name;
}

std::string chain_label(const ruleset& rs, const chain& c) {
  if (rs.syntax == rule_syntax::iptables) return c.table + " " + c.name;
  return c.family + " " + c.table + " " + c.name;
}

bool builtin_hook(std::string_view table, std::string_view name, std::string& hook, int& priority) {
  struct entry { std::string_view chain, hook; };
  static constexpr entry chains[] = {{"PREROUTING", "prerouting"}, {"INPUT", "input"}, {"FORWARD", "forward"},
                                     {"OUTPUT", "output"}, {"POSTROUTING", "postrouting"}};
  for (auto& e : chains) {
    if (name != e.chain) continue;
    hook = e.hook;
    if (table == "raw") priority = -300;
    else if (table == "mangle") priority = -150;
    else if (table == "nat") priority = (e.hook == "prerouting" || e.hook == "output") ? -100 : 100;
    else if (table == "security") priority = 50;
    else priority = 0;
    return true;
  }
  return false;
}

void index_address_matches(ruleset& rs) {
  constexpr std::size_t worth_it = 8;  // a scan of a few prefixes is as fast as the look-up
  for (auto& c : rs.chains)
    for (auto& r : c.rules)
      for (auto* m : {&r.match.saddr, &r.match.daddr}) {
        if (!*m || (*m)->any_of.size() <= worth_it) continue;
        auto lookup = std::make_shared<prefix_lookup>();
        for (const auto& p : (*m)->any_of) lookup->add(p, 0);
        (*m)->lookup = std::move(lookup);
      }
}

}  // namespace hc::nat::detail
