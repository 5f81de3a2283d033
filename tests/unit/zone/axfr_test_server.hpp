#pragma once
// A loopback TCP DNS server on port 0 for AXFR tests: answers each query in several messages,
// optionally TSIG-signed (chained over the messages), REFUSED, cut short or hanging.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/handles.hpp"
#include "probes/dns_wire.hpp"

namespace hc::test {

using hc::probes::dns_bytes;
using hc::probes::tsig_key;
using namespace std::chrono_literals;

inline dns_bytes to_wire(const ldns_pkt* p) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) return {};
  hc::c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

// How the server answers.
struct script {
  std::vector<std::vector<std::string>> messages;  // answer records of each reply message
  int rcode = 0;
  std::optional<tsig_key> sign_with;  // sign every message (chained, RFC 8945) with this key
  bool hang = false;                  // after the messages, keep the connection open, send nothing
  bool sign_only_first = false;       // leave the messages after the first unsigned
};

// The reply messages to `query`, as the script says; each framed with its TCP length.
inline std::vector<dns_bytes> replies(const dns_bytes& query, const script& s) {
  std::vector<dns_bytes> out;
  auto q = hc::probes::parse_dns_message(query);
  if (!q.pkt) return out;
  hc::ldns_rdf_ptr mac;
  if (ldns_pkt_tsig(q.pkt.get())) mac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(q.pkt.get()), 3)));
  auto messages = s.messages;
  if (messages.empty()) messages.push_back({});
  for (std::size_t i = 0; i < messages.size(); ++i) {
    hc::ldns_pkt_ptr r(ldns_pkt_new());
    ldns_pkt_set_id(r.get(), ldns_pkt_id(q.pkt.get()));
    ldns_pkt_set_qr(r.get(), true);
    ldns_pkt_set_aa(r.get(), true);
    ldns_pkt_set_rcode(r.get(), static_cast<std::uint8_t>(s.rcode));
    if (i == 0) {
      ldns_rr* question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q.pkt.get()), 0));
      ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, question);
    }
    for (const auto& text : messages[i]) {
      ldns_rr* rr = nullptr;
      REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 300, nullptr, nullptr) == LDNS_STATUS_OK);
      ldns_pkt_push_rr(r.get(), LDNS_SECTION_ANSWER, rr);
    }
    if (s.sign_with && (i == 0 || !s.sign_only_first)) {
      REQUIRE(ldns_pkt_tsig_sign_next(r.get(), "intra-key.", s.sign_with->secret.c_str(), 300, "hmac-sha256.",
                                      mac.get(), i > 0 ? 1 : 0) == LDNS_STATUS_OK);
      mac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(r.get()), 3)));
    }
    auto framed = hc::probes::tcp_frame(to_wire(r.get()));
    REQUIRE(framed);
    out.push_back(std::move(*framed));
  }
  return out;
}

// A one-connection TCP DNS server on 127.0.0.1, port 0, in its own thread.
class axfr_server {
 public:
  // respond: the bytes to send for the query (already framed); hang: then wait until stopped.
  axfr_server(std::function<std::vector<dns_bytes>(const dns_bytes&)> respond, bool hang)
      : respond_(std::move(respond)), hang_(hang) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~axfr_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // The last query received, and how many connections brought one.
  dns_bytes query() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return query_;
  }
  // The address the last connection came from.
  std::string peer() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peer_;
  }
  int connections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return connections_;
  }

 private:
  // Waits up to 5 s (or until stopped) for fd to be readable.
  bool readable(int fd) {
    for (int i = 0; i < 500 && !stop_; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) return true;
    }
    return false;
  }
  void serve() {
    while (!stop_ && readable(fd_)) {
      sockaddr_in peer{};
      socklen_t peer_len = sizeof peer;
      int c = ::accept(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len);
      if (c < 0) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        peer_ = text;
      }
      handle(c);
    }
  }
  void handle(int c) {
    hc::probes::tcp_frame_decoder d;
    std::uint8_t buf[4096];
    std::optional<dns_bytes> q;
    while (!q && readable(c)) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      d.feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
      q = d.next();
    }
    if (q) {
      std::lock_guard<std::mutex> lock(mutex_);
      query_ = *q;
      ++connections_;
      for (const auto& m : respond_(*q)) (void)::send(c, m.data(), m.size(), MSG_NOSIGNAL);
      if (hang_)
        while (!stop_) std::this_thread::sleep_for(5ms);
    }
    ::close(c);
  }

  std::function<std::vector<dns_bytes>(const dns_bytes&)> respond_;
  bool hang_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  dns_bytes query_;
  int connections_ = 0;
  std::string peer_;
  std::thread thread_;
};

}  // namespace hc::test
