#include "check/services.hpp"

#include <array>
#include <charconv>

namespace hc::check {
namespace {

constexpr std::array<service_info, 7> table{{
    {"dns/udp", 53, "udp", "dns/udp", false, false},
    {"dns/tcp", 53, "tcp", "dns/tcp", false, false},
    {"https", 443, "tcp", "https", false, false},
    {"http", 80, "tcp", "http", false, false},
    {"smtp", 25, "tcp", "smtp", true, false},
    {"imaps", 993, "tcp", "imaps", true, true},
    {"tcp", 0, "tcp", "tcp", false, false},
}};

}  // namespace

std::span<const service_info> all_services() { return std::span(table).first(table.size() - 1); }

std::optional<service_info> service_by_name(std::string_view name) {
  for (const auto& s : all_services())
    if (s.name == name) return s;
  if (name.rfind("tcp/", 0) == 0) {
    unsigned port = 0;
    auto digits = name.substr(4);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
    service_info s = table.back();
    s.name = name;
    s.port = static_cast<std::uint16_t>(port);
    s.mail = is_mail_port(s.port);
    s.mailbox = is_mailbox_port(s.port);
    return s;
  }
  return std::nullopt;
}

std::string service_for_tcp_port(std::uint16_t port) {
  for (const auto& s : all_services())
    if (s.transport == "tcp" && s.port == port && s.name.rfind("dns", 0) != 0) return std::string(s.name);
  return "tcp/" + std::to_string(port);
}

bool is_mail_port(std::uint16_t p) { return p == 25 || p == 465 || p == 587 || is_mailbox_port(p); }

bool is_mailbox_port(std::uint16_t p) { return p == 110 || p == 143 || p == 993 || p == 995; }

}  // namespace hc::check
