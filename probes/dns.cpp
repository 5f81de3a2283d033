#include "probes/dns.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/dns_text.hpp"
#include "probes/dns_wire.hpp"
#include "probes/tcp_common.hpp"

namespace hc::probes {
namespace {

using asio::ip::udp;

ip_address from_asio(const asio::ip::address& a) {
  ip_address out;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    auto b = a.to_v6().to_bytes();
    std::copy_n(b.begin() + 12, 4, out.bytes.begin());
  } else if (a.is_v6()) {
    auto b = a.to_v6().to_bytes();
    std::copy_n(b.begin(), 16, out.bytes.begin());
    out.v6 = true;
  } else {
    auto b = a.to_v4().to_bytes();
    std::copy_n(b.begin(), 4, out.bytes.begin());
  }
  return out;
}

double seconds_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string display_name(const probe_request& req) { return hc::display_name(req.name.empty() ? req.qname : req.name); }

dns_question question_of(const probe_request& req) {
  dns_question q;
  q.qname = req.qname.empty() ? canonical_name(req.name) : req.qname;
  q.qtype = req.qtype;
  q.qclass = LDNS_RR_CLASS_IN;
  q.id = random_dns_id();
  return q;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// "N stray datagrams ignored".
std::string stray_text(unsigned n) {
  return std::to_string(n) + (n == 1 ? " stray datagram ignored" : " stray datagrams ignored");
}

std::string outcome_detail(const dns_outcome& d) {
  std::string s = rcode_name(d.rcode);
  s += ", " + std::to_string(d.answer.size()) + (d.answer.size() == 1 ? " answer" : " answers");
  if (d.aa) s += ", authoritative";
  if (d.tc) s += d.tcp_fallback ? ", truncated over UDP, fetched over TCP" : ", truncated";
  if (d.soa_serial) s += ", serial " + std::to_string(*d.soa_serial);
  if (d.mismatched) s += ", " + std::to_string(d.mismatched) + " mismatched replies dropped";
  if (d.stray_ignored) s += ", " + stray_text(d.stray_ignored);
  if (!d.tsig_key_name.empty() && d.tsig_verified) s += ", signed with key " + d.tsig_key_name + " (verified)";
  return s;
}

void set_facts(probe_result& r) {
  r.facts["rcode"] = rcode_name(r.dns->rcode);
  r.facts["answer"] = join(r.dns->answer, "; ");
}

bool is_unreachable(const error_code& ec) {
  return ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
         ec == asio::error::network_unreachable;
}

// Reads the queued ICMP errors of a socket with IP_RECVERR on; returns the description of the one
// about a datagram sent to target, or nullopt when none of them concerns target. An empty queue
// (the error came only as errno) counts as concerning target.
std::optional<std::string> drain_icmp_errors(int fd, const ip_endpoint& target, const error_code& ec) {
  bool any = false;
  std::optional<std::string> match;
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage dest{};
    std::array<char, 512> control{};
    std::array<std::uint8_t, 512> data{};
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_name = &dest;
    msg.msg_namelen = sizeof dest;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
    any = true;
    std::optional<ip_endpoint> to;
    if (dest.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&dest);
      ip_endpoint e;
      std::memcpy(e.address.bytes.data(), &sin->sin_addr, 4);
      e.port = ntohs(sin->sin_port);
      to = e;
    } else if (dest.ss_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&dest);
      ip_endpoint e;
      std::memcpy(e.address.bytes.data(), &sin6->sin6_addr, 16);
      e.address.v6 = true;
      e.port = ntohs(sin6->sin6_port);
      to = e;
    }
    std::string what = "ICMP unreachable";
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
      bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee{};
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      what = std::string("ICMP ") + std::strerror(static_cast<int>(ee.ee_errno));
      const sockaddr* off = SO_EE_OFFENDER(reinterpret_cast<sock_extended_err*>(CMSG_DATA(c)));
      if (off->sa_family == AF_INET) {
        ip_address a;
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(off)->sin_addr, 4);
        what += " from " + a.str();
      } else if (off->sa_family == AF_INET6) {
        ip_address a;
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(off)->sin6_addr, 16);
        a.v6 = true;
        what += " from " + a.str();
      }
    }
    if (!to || (to->address == target.address && to->port == target.port)) {
      if (!match) match = what;
    }
  }
  if (!any) return ec.message();
  return match;
}

// One DNS exchange over TCP, shared by the TCP probe and the UDP probe's fallback. It ends at
// deadline (the request's, never recomputed).
struct tcp_exchange {
  bool ok = false;
  std::optional<finding_kind> failure;
  std::string stage;
  std::string detail;
  ldns_pkt_ptr pkt;
  dns_bytes wire;  // the accepted reply as received, for its TSIG
  unsigned mismatched = 0;
  double connect_s = 0;
  double request_s = 0;
};

asio::awaitable<tcp_exchange> exchange_tcp(const probe_context& ctx, ip_endpoint target, dns_question q,
                                           const dns_bytes& query, clock::time_point deadline) {
  tcp_exchange x;
  tcp::socket socket(ctx.executor);
  deadline_guard guard(ctx.executor, deadline, [&socket] {
    error_code ignored;
    socket.close(ignored);
  });
  x.stage = "connect";
  auto t0 = clock::now();
  auto ec = co_await tcp_connect(socket, ctx, target);
  auto t1 = clock::now();
  x.connect_s = seconds_between(t0, t1);
  auto wait_ms = [&] { return std::to_string(static_cast<long long>(seconds_between(t0, clock::now()) * 1000)); };
  if (ec) {
    if (guard.expired()) {
      x.failure = finding_kind::timeout;
      x.detail = "TCP connect to " + target.str() + " timed out";
    } else if (is_local_failure(ec)) {
      x.failure = finding_kind::not_checked;
      x.detail = "the vantage point cannot send: " + ec.message() + " (TCP connect to " + target.str() + ")";
    } else if (ec == asio::error::connection_reset) {
      x.failure = finding_kind::reset;
      x.detail = "TCP connect to " + target.str() + ": " + ec.message();
    } else {
      x.failure = finding_kind::refused;
      x.detail = "TCP connect to " + target.str() + ": " + ec.message();
    }
    co_return x;
  }
  x.stage = "request";
  auto framed = tcp_frame(query);
  if (!framed) {
    x.stage = "encode";
    x.failure = finding_kind::not_checked;
    x.detail = "internal error: the query for " + q.qname + " does not fit a TCP frame";
    co_return x;
  }
  co_await asio::async_write(socket, asio::buffer(*framed), asio::redirect_error(asio::use_awaitable, ec));
  tcp_frame_decoder decoder;
  std::array<std::uint8_t, 4096> chunk{};
  // Checked on every read: a peer that streams endless data must not hold the probe.
  while (!ec && !guard.expired()) {
    std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (!decoder.feed(std::span<const std::uint8_t>(chunk.data(), n))) {
      x.failure = finding_kind::reset;
      x.detail = "bad TCP framing from " + target.str() + ": " + decoder.error();
      x.request_s = seconds_between(t1, clock::now());
      co_return x;
    }
    while (auto msg = decoder.next()) {
      auto parsed = parse_dns_message(*msg);
      if (parsed.pkt && dns_reply_matches(parsed.pkt.get(), q)) {
        x.request_s = seconds_between(t1, clock::now());
        x.ok = true;
        x.stage = "done";
        x.pkt = std::move(parsed.pkt);
        x.wire = std::move(*msg);
        co_return x;
      }
      ++x.mismatched;
    }
    if (decoder.failed()) {
      x.failure = finding_kind::reset;
      x.detail = "bad TCP framing from " + target.str() + ": " + decoder.error();
      x.request_s = seconds_between(t1, clock::now());
      co_return x;
    }
  }
  x.request_s = seconds_between(t1, clock::now());
  if (guard.expired()) {
    x.failure = finding_kind::timeout;
    x.detail = "no reply from " + target.str() + " over TCP within " + wait_ms() + " ms";
  } else if (ec == asio::error::eof) {
    x.failure = finding_kind::reset;
    x.detail = "connection closed by " + target.str() + " before a reply";
  } else if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    x.failure = finding_kind::reset;
    x.detail = "connection reset by " + target.str();
  } else {
    x.failure = finding_kind::refused;
    x.detail = "TCP exchange with " + target.str() + ": " + ec.message();
  }
  if (x.mismatched) x.detail += " (" + std::to_string(x.mismatched) + " mismatched replies dropped)";
  co_return x;
}

const char* tcp_hint(std::optional<finding_kind> failure) {
  if (failure == finding_kind::timeout) return "check that the server listens on TCP port 53 and that no firewall drops it";
  if (failure == finding_kind::refused) return "nothing listens on that TCP port, or a firewall rejects it";
  if (failure == finding_kind::reset) return "the server closed the connection; check its TCP limits and logs";
  return "";
}

// A query as sent: its bytes and, when signed, the MAC its reply's TSIG covers.
struct encoded_query {
  dns_bytes wire;
  ldns_rdf_ptr mac;
};

// The query for q (signed with req.tsig when set), or nullopt with r failed at stage "encode"
// (not-checked: the check cannot be made, nothing is known about the server) when the name cannot
// be encoded or the key cannot sign.
std::optional<encoded_query> encode_query(const dns_question& q, const probe_request& req, probe_result& r) {
  r.check.stage = "encode";
  if (auto problem = dns_name_problem(q.qname)) {
    fail_result(r, "encode", finding_kind::not_checked, "unsupported name: " + *problem);
    return std::nullopt;
  }
  if (req.tsig) {
    r.dns->tsig_key_name = req.tsig->name;
    std::string error;
    auto sq = build_signed_query(q, req.recursion_desired, req.edns_size, *req.tsig, error);
    if (!sq) {
      fail_result(r, "encode", finding_kind::not_checked, "cannot sign the query with key " + req.tsig->name + ": " + error);
      r.hint = "give a usable key with --tsig-key FILE (hmac-sha256, hmac-sha512, hmac-sha1 or hmac-md5)";
      return std::nullopt;
    }
    return encoded_query{std::move(sq->wire), std::move(sq->mac)};
  }
  auto query = build_dns_query(q, req.recursion_desired, req.edns_size);
  if (!query) {
    fail_result(r, "encode", finding_kind::not_checked, "unsupported name: cannot encode " + q.qname);
    return std::nullopt;
  }
  return encoded_query{std::move(*query), nullptr};
}

// For a signed query: whether the reply carries a TSIG of the same key that verifies. When it does
// not, r fails with tsig-bad at stage "tsig", naming the key (never its secret) and the server, and
// false is returned. The reply's rcode and records stay in r.dns as evidence.
bool check_tsig(const probe_request& req, const ldns_pkt* pkt, std::span<const std::uint8_t> wire,
                const encoded_query& query, probe_result& r) {
  if (!req.tsig) return true;
  auto problem = tsig_reply_problem(pkt, wire, *req.tsig, query.mac.get());
  if (problem.empty()) {
    r.dns->tsig_verified = true;
    return true;
  }
  r.check.ok = false;
  r.check.stage = "tsig";
  r.failure = finding_kind::tsig_bad;
  r.check.detail = "query signed with key " + req.tsig->name + " to " + req.target.str() + ": " + problem;
  r.hint = "check that " + req.target.str() + " has key " + req.tsig->name +
           " with the same algorithm and secret as the one given (named.conf or --tsig-key), and that both clocks agree";
  return false;
}

// What both DNS probes do first: the check line names the name without its trailing dot, and the
// result carries a dns_outcome.
void begin_dns(const probe_request& req, probe_result& r) {
  r.check.name = display_name(req);
  r.dns.emplace();
}

asio::awaitable<void> run_udp(const probe_context& ctx, const probe_request& req, probe_result& r,
                              clock::time_point) {
  begin_dns(req, r);
  auto& d = *r.dns;
  const auto ex = ctx.executor;
  udp::socket socket(ex);
  deadline_guard guard(ex, req.deadline, [&socket] {
    error_code ignored;
    socket.close(ignored);
  });
  udp::endpoint peer(to_asio(req.target.address), req.target.port);
  error_code ec;
  dns_question q = question_of(req);
  auto query = encode_query(q, req, r);
  if (!query) co_return;
  r.check.stage = "send";
  socket.open(peer.protocol(), ec);
  if (!ec) {
    // Unconnected sockets only hear of ICMP errors with IP_RECVERR on.
    int on = 1;
    if (req.target.address.v6)
      ::setsockopt(socket.native_handle(), SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
    else
      ::setsockopt(socket.native_handle(), SOL_IP, IP_RECVERR, &on, sizeof on);
    if (ctx.source && ctx.source->v6 == req.target.address.v6)
      socket.bind(udp::endpoint(to_asio(*ctx.source), 0), ec);
    else
      socket.bind(udp::endpoint(peer.protocol(), 0), ec);
  }
  if (ec) {
    // Our own socket: whatever went wrong, nothing left this host.
    fail_local(r, "send", ec.message() + " (opening a UDP socket)");
    co_return;
  }
  auto t0 = clock::now();
  co_await socket.async_send_to(asio::buffer(query->wire), peer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && !guard.expired() && is_local_failure(ec)) {
    fail_local(r, "send", ec.message() + " (sending to " + req.target.str() + ")");
    co_return;
  }
  if (ec) {
    r.failure = guard.expired() ? finding_kind::timeout : finding_kind::refused;
    r.check.detail = "sending to " + req.target.str() + ": " + ec.message();
    r.hint = "check the route and the firewall towards " + req.target.address.str();
    co_return;
  }
  r.check.stage = "receive";
  std::vector<std::uint8_t> buf(dns_max_message);
  ldns_pkt_ptr accepted;
  dns_bytes accepted_wire;
  std::optional<dns_outcome> stray;
  // Checked on every datagram: a flood of stray datagrams must not hold the probe.
  while (!accepted && !guard.expired()) {
    udp::endpoint from;
    std::size_t n =
        co_await socket.async_receive_from(asio::buffer(buf), from, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (guard.expired()) break;
      if (is_unreachable(ec)) {
        auto icmp = drain_icmp_errors(socket.native_handle(), req.target, ec);
        if (!icmp) continue;  // about some other datagram: keep listening
        r.check.phases.push_back({"request", seconds_between(t0, clock::now())});
        r.failure = finding_kind::refused;
        r.check.detail = *icmp + " (" + req.target.str() + ")";
        r.hint = "nothing answers DNS on " + req.target.str() + ", or a firewall rejects it";
        co_return;
      }
      r.failure = finding_kind::refused;
      r.check.detail = "receiving from " + req.target.str() + ": " + ec.message();
      co_return;
    }
    ip_endpoint source{from_asio(from.address()), from.port()};
    auto parsed = parse_dns_message(std::span<const std::uint8_t>(buf.data(), n));
    if (source != req.target) {
      // Only a real reply to our query (QR=1, our ID, our question) from elsewhere tells of a
      // missing SNAT; anything else (junk, another query's reply) is noise, counted and ignored.
      if (!parsed.pkt || !dns_reply_matches(parsed.pkt.get(), q)) {
        ++d.stray_ignored;
        continue;
      }
      // Distinct sources only, and a bounded list even under a flood.
      auto& u = d.unexpected_sources;
      if (std::find(u.begin(), u.end(), source) == u.end() && u.size() < 16) u.push_back(source);
      if (!stray) {
        stray.emplace();
        fill_dns_outcome(parsed.pkt.get(), *stray);
      }
      continue;
    }
    if (!parsed.pkt || !dns_reply_matches(parsed.pkt.get(), q)) {
      ++d.mismatched;
      continue;
    }
    accepted = std::move(parsed.pkt);
    accepted_wire.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  auto t1 = clock::now();
  r.check.phases.push_back({"request", seconds_between(t0, t1)});
  if (!accepted) {
    long long waited = static_cast<long long>(seconds_between(t0, t1) * 1000);
    if (!d.unexpected_sources.empty()) {
      r.failure = finding_kind::unexpected_source;
      r.check.detail = "reply from " + d.unexpected_sources.front().str() + ", expected " + req.target.str();
      if (stray) {
        r.facts["stray_rcode"] = rcode_name(stray->rcode);
        r.facts["stray_answer"] = join(stray->answer, "; ");
        r.facts["stray_source"] = d.unexpected_sources.front().str();
        r.check.detail += " (it said " + rcode_name(stray->rcode) +
                          (stray->answer.empty() ? std::string() : ": " + join(stray->answer, "; ")) + ")";
      }
      if (d.stray_ignored) r.check.detail += " (" + stray_text(d.stray_ignored) + ")";
      r.hint = "the reply does not come back through the NAT: add an SNAT (masquerade) rule for LAN clients "
               "reaching the public address, so the server's reply returns through the router";
    } else {
      r.failure = finding_kind::timeout;
      r.check.detail = "no reply from " + req.target.str() + " within " + std::to_string(waited) + " ms";
      if (d.mismatched) r.check.detail += " (" + std::to_string(d.mismatched) + " mismatched replies dropped)";
      if (d.stray_ignored) r.check.detail += " (" + stray_text(d.stray_ignored) + ")";
      r.hint = "check that a DNS server listens on " + req.target.str() + " and that no firewall drops the query";
    }
    co_return;
  }
  d.responder = req.target;
  fill_dns_outcome(accepted.get(), d);
  set_facts(r);
  const bool signed_ok = check_tsig(req, accepted.get(), accepted_wire, *query, r);
  auto t2 = clock::now();
  r.check.phases.push_back({"processing", seconds_between(t1, t2)});
  if (!signed_ok) co_return;
  if (d.tc) {
    r.check.stage = "tcp-fallback";
    auto x = co_await exchange_tcp(ctx, req.target, q, query->wire, req.deadline);
    r.check.phases.push_back({"connect", x.connect_s});
    r.check.phases.front().seconds += x.request_s;
    d.mismatched += x.mismatched;
    if (!x.ok && x.failure == finding_kind::not_checked) {
      fail_result(r, "tcp-fallback", finding_kind::not_checked, "UDP answer truncated (TC=1); " + x.detail);
      co_return;
    }
    if (!x.ok) {
      r.failure = finding_kind::truncated_no_tcp;
      r.check.detail = "UDP answer truncated (TC=1) and the TCP retry failed: " + x.detail;
      r.hint = "allow DNS over TCP port 53 to " + req.target.address.str() +
               " (router port forward, firewall and the server itself)";
      co_return;
    }
    fill_dns_outcome(x.pkt.get(), d);
    d.tc = true;
    d.tcp_fallback = true;
    set_facts(r);
    d.tsig_verified = false;
    if (!check_tsig(req, x.pkt.get(), x.wire, *query, r)) co_return;
  }
  r.check.detail = outcome_detail(d);
  r.check.served_serial = d.soa_serial;
}

asio::awaitable<void> run_tcp(const probe_context& ctx, const probe_request& req, probe_result& r,
                              clock::time_point) {
  begin_dns(req, r);
  auto& d = *r.dns;
  dns_question q = question_of(req);
  auto query = encode_query(q, req, r);
  if (!query) co_return;
  r.check.stage = "connect";
  auto x = co_await exchange_tcp(ctx, req.target, q, query->wire, req.deadline);
  r.check.phases.push_back({"connect", x.connect_s});
  if (x.stage != "connect") r.check.phases.push_back({"request", x.request_s});
  d.mismatched = x.mismatched;
  if (!x.ok) {
    r.check.stage = x.stage;
    r.failure = x.failure;
    r.check.detail = x.detail;
    r.hint = x.failure == finding_kind::not_checked ? default_hint(*x.failure) : tcp_hint(x.failure);
    co_return;
  }
  auto t1 = clock::now();
  d.responder = req.target;
  fill_dns_outcome(x.pkt.get(), d);
  set_facts(r);
  const bool signed_ok = check_tsig(req, x.pkt.get(), x.wire, *query, r);
  r.check.phases.push_back({"processing", seconds_between(t1, clock::now())});
  if (!signed_ok) co_return;
  r.check.detail = outcome_detail(d);
  r.check.served_serial = d.soa_serial;
}

}  // namespace

asio::awaitable<probe_result> probe_dns_udp(const probe_context& context, const probe_request& request) {
  co_return co_await run_guarded(context, request, run_udp);
}

asio::awaitable<probe_result> probe_dns_tcp(const probe_context& context, const probe_request& request) {
  co_return co_await run_guarded(context, request, run_tcp);
}

std::optional<ip_address> first_nameserver(std::string_view resolv_conf) {
  std::istringstream in{std::string(resolv_conf)};
  std::string line;
  while (std::getline(in, line)) {
    if (auto c = line.find_first_of("#;"); c != std::string::npos) line.resize(c);
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    if (auto a = ip_address::parse(value)) return a;
  }
  return std::nullopt;
}

std::optional<ip_address> read_first_nameserver(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return first_nameserver(s.str());
}

}  // namespace hc::probes
