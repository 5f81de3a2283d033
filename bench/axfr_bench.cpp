// Benchmark of zone transfers (src/zone/axfr.hpp): a zone of N A records served from a loopback TCP
// server (messages of 400 records, unsigned or TSIG-signed in a chain) is transferred with
// transfer_zone; prints records, messages, bytes, wall time and records per second. Not installed.
//
//   axfr_bench [RECORDS] [signed]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/handles.hpp"
#include "probes/dns_wire.hpp"
#include "zone/axfr.hpp"

namespace {

const char* const secret = "8Bf0/dT8j7y4aXqxmW3eCcIVszZhO9K5l+1n2Y4cJ0o=";
const char* const soa = "bench.test. 300 IN SOA ns.bench.test. h.bench.test. 1 3600 600 86400 300";

hc::probes::dns_bytes wire_of(const ldns_pkt* p) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) return {};
  hc::c_string_ptr owned(reinterpret_cast<char*>(wire));
  return hc::probes::dns_bytes(wire, wire + size);
}

// The framed reply messages of a zone of n A records to `query`.
std::vector<std::uint8_t> replies(const hc::probes::dns_bytes& query, std::size_t n, bool sign) {
  auto q = hc::probes::parse_dns_message(query);
  hc::ldns_rdf_ptr mac;
  if (q.pkt && ldns_pkt_tsig(q.pkt.get())) mac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(q.pkt.get()), 3)));
  std::vector<std::string> rrs{soa};
  for (std::size_t i = 0; i < n; ++i)
    rrs.push_back("h" + std::to_string(i) + ".bench.test. 300 IN A 10." + std::to_string((i >> 16) & 255) + "." +
                  std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255));
  rrs.push_back(soa);
  std::vector<std::uint8_t> out;
  for (std::size_t at = 0, msg = 0; at < rrs.size(); ++msg) {
    hc::ldns_pkt_ptr r(ldns_pkt_new());
    ldns_pkt_set_id(r.get(), ldns_pkt_id(q.pkt.get()));
    ldns_pkt_set_qr(r.get(), true);
    if (msg == 0)
      ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q.pkt.get()), 0)));
    for (std::size_t k = 0; k < 400 && at < rrs.size(); ++k, ++at) {
      ldns_rr* rr = nullptr;
      if (ldns_rr_new_frm_str(&rr, rrs[at].c_str(), 300, nullptr, nullptr) != LDNS_STATUS_OK) std::abort();
      ldns_pkt_push_rr(r.get(), LDNS_SECTION_ANSWER, rr);
    }
    if (sign) {
      if (ldns_pkt_tsig_sign_next(r.get(), "bench-key.", secret, 300, "hmac-sha256.", mac.get(), msg > 0 ? 1 : 0) !=
          LDNS_STATUS_OK)
        std::abort();
      mac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(r.get()), 3)));
    }
    auto framed = hc::probes::tcp_frame(wire_of(r.get()));
    out.insert(out.end(), framed->begin(), framed->end());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const bool sign = argc > 2 && std::string(argv[2]) == "signed";
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 1;
  double build_s = 0;  // the server building its replies (the client waits meanwhile): subtracted
  std::thread server([fd, n, sign, &build_s] {
    int c = ::accept(fd, nullptr, nullptr);
    hc::probes::tcp_frame_decoder d;
    std::uint8_t buf[4096];
    std::optional<hc::probes::dns_bytes> q;
    while (!q) {
      ssize_t got = ::recv(c, buf, sizeof buf, 0);
      if (got <= 0) break;
      d.feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(got)));
      q = d.next();
    }
    if (q) {
      const auto b0 = std::chrono::steady_clock::now();
      auto out = replies(*q, n, sign);
      build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
      for (std::size_t sent = 0; sent < out.size();) {
        ssize_t k = ::send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (k <= 0) break;
        sent += static_cast<std::size_t>(k);
      }
    }
    ::close(c);
  });
  hc::zone::axfr_request req;
  req.zone = "bench.test";
  req.server = hc::ip_endpoint{*hc::ip_address::parse("127.0.0.1"), ntohs(a.sin_port)};
  if (sign) req.key = hc::probes::tsig_key{"bench-key", "hmac-sha256", secret};
  req.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = hc::zone::transfer_zone(req);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  server.join();
  const double s = total - build_s;
  ::close(fd);
  if (r.status != hc::zone::axfr_status::ok) {
    std::fprintf(stderr, "%s\n", r.error.c_str());
    return 1;
  }
  std::printf("records %zu  messages %llu  bytes %llu  %s  %.3f s (without the server's %.3f s building its replies)  %.0f records/s\n",
              r.data->record_count(), static_cast<unsigned long long>(r.messages),
              static_cast<unsigned long long>(r.bytes), sign ? "signed" : "unsigned", s, build_s, r.data->record_count() / s);
  return 0;
}
