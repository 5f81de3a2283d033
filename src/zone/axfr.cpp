#include "zone/axfr.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/dns_text.hpp"
#include "core/input_file.hpp"
#include "probes/dns_wire.hpp"

namespace hc::zone {
namespace {

constexpr std::uint16_t axfr_qtype = 252;

std::string key_dname(const std::string& name) {
  return name.empty() || name.back() != '.' ? name + "." : name;
}

std::string compact_secret(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += c;
  return out;
}

// The text of an rdf (ldns's presentation form), empty when it cannot be printed.
std::string rdf_text(const ldns_rdf* rdf) {
  if (!rdf) return {};
  c_string_ptr s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

// A descriptor closed when it goes out of scope.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Milliseconds left until deadline, at least 0, at most an int's worth.
int ms_left(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

// Waits until fd is ready for `events` or the deadline passes; false on deadline or poll error.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    int ms = ms_left(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Connects to `server` over TCP (from `source` when set) and sends `framed`, every wait bounded by deadline. Returns the
// descriptor (the caller closes it), or -1 with `error` set.
socklen_t to_sockaddr(const ip_address& address, std::uint16_t port, sockaddr_storage& ss) {
  ss = {};
  if (address.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    std::memcpy(&a->sin6_addr, address.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  std::memcpy(&a->sin_addr, address.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

int open_and_send(const ip_endpoint& server, const std::optional<ip_address>& source, const probes::dns_bytes& framed,
                  std::chrono::steady_clock::time_point deadline, std::string& error) {
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(server.address, server.port, ss);
  fd_guard s{::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    error = std::string("cannot open a socket: ") + std::strerror(errno);
    return -1;
  }
  if (source && source->v6 == server.address.v6) {
    sockaddr_storage local{};
    const socklen_t local_len = to_sockaddr(*source, 0, local);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0) {
      error = fmt::format("cannot send from {}: {}", source->str(), std::strerror(errno));
      return -1;
    }
  }
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) {
      error = std::string("cannot connect: ") + std::strerror(errno);
      return -1;
    }
    if (!wait_for(s.fd, POLLOUT, deadline)) {
      error = "the run's deadline passed while connecting";
      return -1;
    }
    int err = 0;
    socklen_t el = sizeof err;
    if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
      error = std::string("cannot connect: ") + std::strerror(err ? err : errno);
      return -1;
    }
  }
  std::size_t sent = 0;
  while (sent < framed.size()) {
    ssize_t n = ::send(s.fd, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(s.fd, POLLOUT, deadline)) {
        error = "the run's deadline passed while sending";
        return -1;
      }
      continue;
    }
    error = std::string("cannot send the query: ") + std::strerror(errno);
    return -1;
  }
  int fd = s.fd;
  s.fd = -1;
  return fd;
}

}  // namespace

axfr_limits axfr_limits::current() {
  axfr_limits l;
  l.max_bytes = input_limits::current().max_file_bytes;
  if (const char* v = std::getenv("HC_MAX_AXFR_RECORDS")) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (errno == 0 && end && *end == '\0' && end != v && n > 0 && v[0] != '-') l.max_records = n;
  }
  return l;
}

std::string describe_transfer(const axfr_request& r) {
  std::string out = fmt::format("AXFR of {} from {}", canonical_name(r.zone), r.server.str());
  std::string extra;
  if (!r.view.empty()) extra = "view " + r.view;
  if (r.key) extra += (extra.empty() ? "" : ", ") + std::string("TSIG key ") + r.key->name;
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

axfr_reader::axfr_reader(const axfr_request& request, std::uint16_t query_id, ldns_rdf_ptr query_mac)
    : request_(request), origin_(canonical_name(request.zone)), id_(query_id), mac_(std::move(query_mac)),
      builder_(origin_) {}

std::string axfr_reader::who() const { return describe_transfer(request_); }

axfr_reader::step axfr_reader::bad(axfr_status status, std::string reason) {
  failed_ = true;
  result_.status = status;
  result_.error = who() + ": " + reason;
  return step::failed;
}

void axfr_reader::fail(axfr_status status, std::string reason) {
  if (!done_ && !failed_) bad(status, std::move(reason));
}

axfr_reader::step axfr_reader::feed(std::span<const std::uint8_t> wire) {
  if (failed_) return step::failed;
  if (done_) return step::done;
  ++result_.messages;
  result_.bytes += wire.size();
  if (result_.bytes > request_.limits.max_bytes)
    return bad(axfr_status::failed, fmt::format("the transfer is larger than {} bytes (HC_MAX_FILE_BYTES)",
                                                request_.limits.max_bytes));
  auto parsed = probes::parse_dns_message(wire);
  if (!parsed.pkt) return bad(axfr_status::failed, fmt::format("reply message {} is malformed: {}", result_.messages, parsed.error));
  const ldns_pkt* pkt = parsed.pkt.get();
  const bool first = result_.messages == 1;
  if (ldns_pkt_id(pkt) != id_ || !ldns_pkt_qr(pkt))
    return bad(axfr_status::failed, fmt::format("reply message {} does not answer the query (ID or QR)", result_.messages));
  const int rcode = static_cast<int>(ldns_pkt_get_rcode(pkt));
  // The question: required in the first message, optional later; when present it must be ours.
  if (ldns_pkt_qdcount(pkt) > 0 || first) {
    probes::dns_question q{origin_, axfr_qtype, 1, id_};
    if (!probes::dns_reply_matches(pkt, q))
      return bad(axfr_status::failed, fmt::format("reply message {} does not carry the question {} AXFR",
                                                  result_.messages, origin_));
  }
  if (request_.key) {
    const auto& key = *request_.key;
    if (first) {
      std::string problem = probes::tsig_reply_problem(pkt, wire, key, mac_.get());
      if (!problem.empty()) {
        if (rcode == 5 && !ldns_pkt_tsig(pkt)) return bad(axfr_status::refused, "REFUSED (unsigned)");
        return bad(axfr_status::tsig_bad, problem);
      }
    } else if (!ldns_pkt_tsig(pkt)) {
      // RFC 8945 lets a server leave up to 99 messages unsigned; ldns cannot verify such a run.
      return bad(axfr_status::failed,
                 fmt::format("reply message {} is not signed; hairpin-check verifies a transfer only when every "
                             "message is signed (as BIND signs them)",
                             result_.messages));
    } else {
      const ldns_rr* tsig = ldns_pkt_tsig(pkt);
      if (canonical_name(rdf_text(ldns_rr_owner(tsig))) != canonical_name(key_dname(key.name)))
        return bad(axfr_status::tsig_bad, fmt::format("reply message {} is signed with another key", result_.messages));
      ldns_pkt_ptr copy(ldns_pkt_clone(pkt));
      const std::string secret = compact_secret(key.secret);
      const std::string dname = key_dname(key.name);
      if (!copy || !ldns_pkt_tsig_verify_next(copy.get(), wire.data(), wire.size(), dname.c_str(), secret.c_str(),
                                              mac_.get(), 1))
        return bad(axfr_status::tsig_bad,
                   fmt::format("the TSIG of reply message {} does not verify with key {}", result_.messages, key.name));
    }
    const ldns_rdf* mac = ldns_rr_rd_count(ldns_pkt_tsig(pkt)) > 3 ? ldns_rr_rdf(ldns_pkt_tsig(pkt), 3) : nullptr;
    if (!mac) return bad(axfr_status::tsig_bad, "a reply's TSIG record is malformed");
    mac_.reset(ldns_rdf_clone(mac));
  }
  if (rcode != 0) {
    const auto name = probes::rcode_name(rcode);
    if (rcode == 9) return bad(axfr_status::tsig_bad, "NOTAUTH");
    return bad(axfr_status::refused, name);
  }
  const ldns_rr_list* answer = ldns_pkt_answer(pkt);
  const std::size_t n = answer ? ldns_rr_list_rr_count(answer) : 0;
  if (first && n == 0) return bad(axfr_status::failed, "the first reply message holds no records (not an AXFR answer)");
  for (std::size_t i = 0; i < n; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (done_)
      return bad(axfr_status::failed, "records follow the closing SOA");
    if (++records_ > request_.limits.max_records)
      return bad(axfr_status::failed,
                 fmt::format("the transfer holds more than {} records (HC_MAX_AXFR_RECORDS)", request_.limits.max_records));
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) return bad(axfr_status::failed, "a record's class is not IN");
    const std::string owner = canonical_name(rdf_text(ldns_rr_owner(rr)));
    const auto type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    const bool apex_soa = type == rr_type::soa && owner == origin_;
    if (!first_soa_) {
      if (!apex_soa) return bad(axfr_status::failed, "the transfer does not start with the zone's SOA");
      first_soa_ = canonical_rdata(rr);
    } else if (apex_soa) {
      if (canonical_rdata(rr) != *first_soa_)
        return bad(axfr_status::failed, "the closing SOA differs from the opening one (the zone changed during the transfer)");
      done_ = true;
      continue;
    }
    if (!builder_.in_zone(owner))
      return bad(axfr_status::failed, fmt::format("the server sent a record outside the zone ({})", display_name(owner)));
    if (!builder_.add(owner, type, ldns_rr_ttl(rr), canonical_rdata(rr)))
      return bad(axfr_status::failed, "a record is too long to store");
  }
  return done_ ? step::done : step::more;
}

axfr_result axfr_reader::finish() {
  if (!failed_ && !done_)
    bad(axfr_status::failed, result_.messages == 0 ? "no reply"
                                                   : fmt::format("the stream ended after {} messages without the closing SOA",
                                                                 result_.messages));
  axfr_result out;
  out.status = result_.status;
  out.error = result_.error;
  out.bytes = result_.bytes;
  out.messages = result_.messages;
  if (done_ && !failed_) {
    out.status = axfr_status::ok;
    out.error.clear();
    out.data = builder_.finish();
  }
  return out;
}

axfr_result transfer_zone(const axfr_request& request) {
  const std::uint16_t id = probes::random_dns_id();
  probes::dns_question q{canonical_name(request.zone), axfr_qtype, 1, id};
  probes::dns_bytes query;
  ldns_rdf_ptr mac;
  auto early = [&](axfr_status s, std::string why) {
    axfr_result r;
    r.status = s;
    r.error = describe_transfer(request) + ": " + why;
    return r;
  };
  if (request.key) {
    std::string err;
    auto sq = probes::build_signed_query(q, false, 0, *request.key, err);
    if (!sq) return early(axfr_status::failed, err);
    query = std::move(sq->wire);
    mac = std::move(sq->mac);
  } else {
    auto plain = probes::build_dns_query(q, false, 0);
    if (!plain) return early(axfr_status::failed, "the zone name cannot be encoded");
    query = std::move(*plain);
  }
  auto framed = probes::tcp_frame(query);
  if (!framed) return early(axfr_status::failed, "the query is too long");
  axfr_reader reader(request, id, std::move(mac));

  std::string error;
  fd_guard s{open_and_send(request.server, request.source, *framed, request.deadline, error)};
  if (s.fd < 0) return early(axfr_status::failed, error);
  const char* timeout = "the run's deadline passed";
  probes::tcp_frame_decoder decoder;
  std::vector<std::uint8_t> buf(16384);
  for (;;) {
    if (!wait_for(s.fd, POLLIN, request.deadline)) {
      reader.fail(axfr_status::failed, fmt::format("{} after {} messages", timeout, reader.messages()));
      return reader.finish();
    }
    ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      reader.fail(axfr_status::failed, std::string("the connection failed: ") + std::strerror(errno));
      return reader.finish();
    }
    if (n == 0) return reader.finish();  // closed: ok only when the closing SOA came
    if (!decoder.feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)))) {
      reader.fail(axfr_status::failed, "the TCP stream is malformed: " + decoder.error());
      return reader.finish();
    }
    while (auto m = decoder.next()) {
      auto st = reader.feed(*m);
      if (st != axfr_reader::step::more) return reader.finish();
    }
  }
}

}  // namespace hc::zone

namespace hc::zone {

zone_lookup find_zone(const ip_endpoint& server, const std::string& name, const std::string& view,
                      const std::optional<probes::tsig_key>& key, std::chrono::steady_clock::time_point deadline,
                      const std::optional<ip_address>& source) {
  zone_lookup out;
  const std::string who = fmt::format("SOA query for {} to {}{}", canonical_name(name), server.str(),
                                      view.empty() && !key ? std::string()
                                                           : fmt::format(" ({}{}{})", view.empty() ? "" : "view " + view,
                                                                         view.empty() || !key ? "" : ", ",
                                                                         key ? "TSIG key " + key->name : ""));
  auto fail = [&](axfr_status s, std::string why) {
    out.status = s;
    out.error = who + ": " + why;
    return out;
  };
  const std::uint16_t id = probes::random_dns_id();
  probes::dns_question q{canonical_name(name), rr_type::soa, 1, id};
  probes::dns_bytes query;
  ldns_rdf_ptr mac;
  if (key) {
    std::string err;
    auto sq = probes::build_signed_query(q, false, 0, *key, err);
    if (!sq) return fail(axfr_status::failed, err);
    query = std::move(sq->wire);
    mac = std::move(sq->mac);
  } else {
    auto plain = probes::build_dns_query(q, false, 0);
    if (!plain) return fail(axfr_status::failed, "the name cannot be encoded");
    query = std::move(*plain);
  }
  auto framed = probes::tcp_frame(query);
  if (!framed) return fail(axfr_status::failed, "the query is too long");
  std::string error;
  fd_guard s{open_and_send(server, source, *framed, deadline, error)};
  if (s.fd < 0) return fail(axfr_status::failed, error);
  probes::tcp_frame_decoder decoder;
  std::vector<std::uint8_t> buf(16384);
  std::optional<probes::dns_bytes> reply;
  while (!reply) {
    if (!wait_for(s.fd, POLLIN, deadline)) return fail(axfr_status::failed, "the run's deadline passed");
    ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) return fail(axfr_status::failed, "the connection closed without a reply");
    if (!decoder.feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n))))
      return fail(axfr_status::failed, "the TCP stream is malformed: " + decoder.error());
    reply = decoder.next();
  }
  auto parsed = probes::parse_dns_message(*reply);
  if (!parsed.pkt) return fail(axfr_status::failed, "malformed reply: " + parsed.error);
  const ldns_pkt* pkt = parsed.pkt.get();
  if (!probes::dns_reply_matches(pkt, q)) return fail(axfr_status::failed, "the reply does not answer the query");
  const int rcode = static_cast<int>(ldns_pkt_get_rcode(pkt));
  if (key) {
    std::string problem = probes::tsig_reply_problem(pkt, *reply, *key, mac.get());
    if (!problem.empty()) {
      if (rcode == 5 && !ldns_pkt_tsig(pkt)) return fail(axfr_status::refused, "REFUSED (unsigned)");
      return fail(axfr_status::tsig_bad, problem);
    }
  }
  if (rcode == 9) return fail(axfr_status::tsig_bad, "NOTAUTH");
  if (rcode != 0 && rcode != 3) return fail(axfr_status::refused, probes::rcode_name(rcode));
  for (auto section : {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt)}) {
    const std::size_t n = section ? ldns_rr_list_rr_count(section) : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(section, i);
      if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA) continue;
      std::string zone = canonical_name(rdf_text(ldns_rr_owner(rr)));
      const std::string asked = canonical_name(name);
      // The SOA must be the asked name's or an ancestor's (a server could send anything).
      if (zone == asked || zone == "." ||
          (asked.size() > zone.size() && asked.compare(asked.size() - zone.size(), zone.size(), zone) == 0 &&
           asked[asked.size() - zone.size() - 1] == '.')) {
        out.status = axfr_status::ok;
        out.zone = zone;
        return out;
      }
    }
  }
  return fail(axfr_status::failed, "the reply holds no SOA of a zone above the name (the server is not authoritative for it)");
}

}  // namespace hc::zone
