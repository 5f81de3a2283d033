// Fuzz target: DNS reply parsing, matching and TCP framing on arbitrary bytes.
#include <cstdint>
#include <span>

#include "probes/dns_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> wire(data, size);
  auto parsed = hc::probes::parse_dns_message(wire);
  if (parsed.pkt) {
    hc::probes::dns_question q{"blog.debugo.fr.", 1, 1, 0x1234};
    (void)hc::probes::dns_reply_matches(parsed.pkt.get(), q);
    hc::probes::dns_outcome out;
    hc::probes::fill_dns_outcome(parsed.pkt.get(), out);
  }
  // The same bytes as a TCP stream, fed in uneven pieces.
  hc::probes::tcp_frame_decoder dec;
  std::size_t at = 0, step = 1;
  while (at < size && !dec.failed()) {
    std::size_t n = std::min(step, size - at);
    dec.feed(wire.subspan(at, n));
    while (auto m = dec.next()) (void)hc::probes::parse_dns_message(*m);
    at += n;
    step = step * 3 % 97 + 1;
  }
  return 0;
}
