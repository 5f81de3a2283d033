#pragma once
// The one table of services: the name --services and the reports use, the port, the transport and
// the probe that checks it. "tcp/PORT" is any other TCP port, checked by a connect.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hc::check {

struct service_info {
  std::string_view name;       // "https"
  std::uint16_t port;          // 443
  std::string_view transport;  // "tcp" or "udp"
  std::string_view probe;      // the probe of probes::registry(): "https"
  bool mail;                   // a mail server's port (SMTP, submission, IMAP, POP3)
  bool mailbox;                // where mail clients connect (IMAP, POP3)
};

// Every named service.
std::span<const service_info> all_services();

// The service of a name: "https", "dns/udp", "tcp/8080" (port 8080, transport tcp, probe "tcp").
std::optional<service_info> service_by_name(std::string_view name);

// The name of a TCP port's service: 443 → "https", 25 → "smtp", 8080 → "tcp/8080".
std::string service_for_tcp_port(std::uint16_t port);

// Ports of mail servers and mail clients, named or not (465, 587, 110, 143, 995 too).
bool is_mail_port(std::uint16_t port);
bool is_mailbox_port(std::uint16_t port);

}  // namespace hc::check
