// Fuzz target: SMTP replies and IMAP greetings and completions on arbitrary bytes.
#include <cstdint>
#include <string_view>

#include "probes/mail_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto reply = hc::probes::parse_smtp_reply(bytes);
  (void)hc::probes::smtp_banner_host(reply);
  (void)hc::probes::smtp_has_extension(reply, "STARTTLS");
  (void)hc::probes::parse_imap_greeting(bytes);
  (void)hc::probes::parse_imap_completion(bytes, "a1");
  return 0;
}
