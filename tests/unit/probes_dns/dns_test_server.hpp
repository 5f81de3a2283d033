#pragma once
// Loopback DNS test servers for the DNS probe tests: Asio sockets on port 0 of 127.0.0.x, each
// answering the way one failure case needs. Replies are built with ldns from the received query.

#include <array>
#include <cctype>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/handles.hpp"
#include "probes/dns_wire.hpp"

namespace hc::test {

using hc::probes::dns_bytes;

// How to answer one query.
struct reply_spec {
  std::vector<std::string> answer;     // zone-file lines: "blog.debugo.fr. 300 IN A 203.0.113.1"
  std::vector<std::string> authority;
  std::vector<std::string> additional;  // glue
  int rcode = 0;
  bool aa = true;
  bool tc = false;
  int id_delta = 0;                    // added to the query's ID (a wrong-ID reply when not 0)
  std::optional<std::string> qname;    // a different question name
};

inline void push_rrs(ldns_pkt* pkt, ldns_pkt_section section, const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    ldns_rr* rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, line.c_str(), 300, nullptr, nullptr) == LDNS_STATUS_OK && rr)
      ldns_pkt_push_rr(pkt, section, rr);
  }
}

// The wire reply to a query as spec says; empty when the query cannot be parsed.
inline dns_bytes make_reply(const dns_bytes& query, const reply_spec& spec) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, query.data(), query.size()) != LDNS_STATUS_OK) return {};
  ldns_pkt_ptr q(raw);
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q.get()), 0);
  ldns_pkt_ptr r(ldns_pkt_new());
  ldns_pkt_set_id(r.get(), static_cast<std::uint16_t>(ldns_pkt_id(q.get()) + spec.id_delta));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_aa(r.get(), spec.aa);
  ldns_pkt_set_tc(r.get(), spec.tc);
  ldns_pkt_set_rcode(r.get(), static_cast<std::uint8_t>(spec.rcode));
  ldns_rr* qcopy = ldns_rr_clone(question);
  if (spec.qname) {
    ldns_rdf* owner = ldns_dname_new_frm_str(spec.qname->c_str());
    ldns_rdf_deep_free(ldns_rr_owner(qcopy));
    ldns_rr_set_owner(qcopy, owner);
  }
  ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, qcopy);
  push_rrs(r.get(), LDNS_SECTION_ANSWER, spec.answer);
  push_rrs(r.get(), LDNS_SECTION_AUTHORITY, spec.authority);
  push_rrs(r.get(), LDNS_SECTION_ADDITIONAL, spec.additional);
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, r.get(), &size) != LDNS_STATUS_OK) return {};
  c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

// What a server does with one received query: the datagrams to send back, each with the socket
// index to send it from (0: the socket that received it; 1..: extra sockets of the server).
struct udp_send {
  std::size_t from = 0;
  dns_bytes bytes;
};
using udp_behaviour = std::function<std::vector<udp_send>(const dns_bytes& query)>;

// A UDP server on 127.0.0.<host>:0, with optional extra sockets on other loopback addresses to
// answer from. Callback style, owned by the test; handlers only touch it while it lives.
class udp_server {
 public:
  udp_server(asio::io_context& io, const std::string& address, udp_behaviour behaviour,
             const std::vector<std::string>& extra_addresses = {})
      : behaviour_(std::move(behaviour)) {
    using asio::ip::udp;
    sockets_.push_back(std::make_unique<udp::socket>(io, udp::endpoint(asio::ip::make_address(address), 0)));
    for (const auto& a : extra_addresses)
      sockets_.push_back(std::make_unique<udp::socket>(io, udp::endpoint(asio::ip::make_address(a), 0)));
    alive_ = std::make_shared<bool>(true);
    receive();
  }
  ~udp_server() {
    *alive_ = false;
    for (auto& s : sockets_) {
      boost::system::error_code ec;
      s->close(ec);
    }
  }
  asio::ip::udp::endpoint endpoint() const { return sockets_[0]->local_endpoint(); }
  asio::ip::udp::endpoint extra_endpoint(std::size_t i) const { return sockets_[i]->local_endpoint(); }
  unsigned queries = 0;
  asio::ip::udp::endpoint last_peer;  // who sent the last query

 private:
  void receive() {
    sockets_[0]->async_receive_from(asio::buffer(buf_), peer_,
                                    [this, alive = alive_](boost::system::error_code ec, std::size_t n) {
                                      if (ec || !*alive) return;
                                      ++queries;
                                      last_peer = peer_;
                                      dns_bytes q(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
                                      for (auto& s : behaviour_(q)) {
                                        boost::system::error_code ignored;
                                        sockets_.at(s.from)->send_to(asio::buffer(s.bytes), peer_, 0, ignored);
                                      }
                                      receive();
                                    });
  }
  udp_behaviour behaviour_;
  std::vector<std::unique_ptr<asio::ip::udp::socket>> sockets_;
  std::array<std::uint8_t, 65535> buf_{};
  asio::ip::udp::endpoint peer_;
  std::shared_ptr<bool> alive_;
};

// What a TCP server sends back for one query: raw bytes (already framed, possibly in pieces), or
// nothing (silent) when empty.
using tcp_behaviour = std::function<std::vector<dns_bytes>(const dns_bytes& query)>;

// A TCP server on address:port (0: any), reading framed queries and writing the behaviour's bytes.
class tcp_server {
 public:
  tcp_server(asio::io_context& io, const std::string& address, std::uint16_t port, tcp_behaviour behaviour)
      : acceptor_(io), behaviour_(std::move(behaviour)) {
    using asio::ip::tcp;
    tcp::endpoint ep(asio::ip::make_address(address), port);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    alive_ = std::make_shared<bool>(true);
    accept();
  }
  ~tcp_server() {
    *alive_ = false;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& s : sessions_) s->socket.close(ec);
  }
  asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  unsigned queries = 0;
  asio::ip::tcp::endpoint last_peer;  // who connected last

 private:
  struct session {
    explicit session(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    hc::probes::tcp_frame_decoder decoder;
    std::array<std::uint8_t, 4096> buf{};
  };
  void accept() {
    acceptor_.async_accept([this, alive = alive_](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec || !*alive) return;
      boost::system::error_code pe;
      last_peer = s.remote_endpoint(pe);
      sessions_.push_back(std::make_shared<session>(std::move(s)));
      read(sessions_.back());
      accept();
    });
  }
  void read(std::shared_ptr<session> s) {
    s->socket.async_read_some(asio::buffer(s->buf), [this, s, alive = alive_](boost::system::error_code ec, std::size_t n) {
      if (ec || !*alive) return;
      s->decoder.feed(std::span<const std::uint8_t>(s->buf.data(), n));
      while (auto q = s->decoder.next()) {
        ++queries;
        for (auto& piece : behaviour_(*q)) {
          boost::system::error_code ignored;
          asio::write(s->socket, asio::buffer(piece), ignored);
        }
      }
      read(s);
    });
  }
  asio::ip::tcp::acceptor acceptor_;
  tcp_behaviour behaviour_;
  std::vector<std::shared_ptr<session>> sessions_;
  std::shared_ptr<bool> alive_;
};

// Frames a reply for TCP.
inline dns_bytes framed(const dns_bytes& msg) { return hc::probes::tcp_frame(msg).value_or(dns_bytes{}); }

// The question of a query (its name in lower case, absolute) and whether it carries a TSIG that
// verifies with `key_name` (absolute) and the base64 `secret`, as a key-selecting server sees it.
struct query_facts {
  std::string name;
  ldns_rr_type type = LDNS_RR_TYPE_A;
  bool signed_query = false;
  bool verified = false;
};
inline std::optional<query_facts> read_query(const dns_bytes& query, const char* key_name, const std::string& secret) {
  auto q = hc::probes::parse_dns_message(query);
  if (!q.pkt || ldns_pkt_qdcount(q.pkt.get()) == 0) return std::nullopt;
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q.pkt.get()), 0);
  hc::c_string_ptr owner(ldns_rdf2str(ldns_rr_owner(question)));
  query_facts f;
  f.name = owner ? owner.get() : "";
  for (auto& c : f.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  f.type = ldns_rr_get_type(question);
  f.signed_query = ldns_pkt_tsig(q.pkt.get()) != nullptr;
  f.verified = f.signed_query && ldns_pkt_tsig_verify(q.pkt.get(), query.data(), query.size(), key_name, secret.c_str(), nullptr);
  return f;
}

// `reply` signed with hmac-sha256 key `key_name`, covering the signed `query`'s MAC as RFC 8945
// wants; empty when it cannot be.
inline dns_bytes sign_reply(const dns_bytes& reply, const dns_bytes& query, const char* key_name, const std::string& secret) {
  auto q = hc::probes::parse_dns_message(query);
  auto r = hc::probes::parse_dns_message(reply);
  if (!q.pkt || !r.pkt || !ldns_pkt_tsig(q.pkt.get())) return {};
  const ldns_rdf* mac = ldns_rr_rdf(ldns_pkt_tsig(q.pkt.get()), 3);
  if (ldns_pkt_tsig_sign(r.pkt.get(), key_name, secret.c_str(), 300, "hmac-sha256.", mac) != LDNS_STATUS_OK) return {};
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, r.pkt.get(), &size) != LDNS_STATUS_OK) return {};
  hc::c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

}  // namespace hc::test
