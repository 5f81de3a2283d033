#include "probes/tcp_common.hpp"

#include <algorithm>

#include <boost/asio/ssl/error.hpp>
#include <fmt/format.h>

namespace hc::probes {

probe_result start_result(const probe_request& req) {
  probe_result r;
  r.check.name = req.name;
  r.check.service = req.service;
  r.check.path = req.path;
  r.check.address = req.target.address.str();
  r.check.port = req.target.port;
  r.check.ok = false;
  r.check.stage = "start";
  return r;
}

void finish_result(probe_result& r, clock::time_point start) {
  r.check.duration_s = std::chrono::duration<double>(clock::now() - start).count();
  if (!r.failure) {
    r.check.ok = true;
    r.check.stage = "done";
  } else {
    r.check.ok = false;
  }
}

void fail_result(probe_result& r, std::string stage, finding_kind kind, std::string detail) {
  r.check.ok = false;
  r.check.stage = std::move(stage);
  r.check.detail = std::move(detail);
  r.hint = default_hint(kind);
  r.failure = kind;
}

void fail_local(probe_result& r, std::string stage, const std::string& why) {
  fail_result(r, std::move(stage), finding_kind::not_checked, "the vantage point cannot send: " + why);
}

void add_phase(probe_result& r, std::string phase, clock::time_point since, clock::time_point until) {
  r.check.phases.push_back({std::move(phase), std::chrono::duration<double>(until - since).count()});
}

std::string default_hint(finding_kind kind) {
  if (kind == finding_kind::timeout)
    return "nothing answered in time: a firewall drops the packets, or (through the hairpin) the router "
           "does not SNAT connections looped back to the LAN";
  if (kind == finding_kind::refused)
    return "nothing listens on that address and port, or the router answers itself instead of "
           "forwarding (its DNAT does not match connections from the LAN)";
  if (kind == finding_kind::reset)
    return "the connection was reset: the service or a firewall rejects this client, or the service crashed";
  if (kind == finding_kind::tls_verify)
    return "serve a certificate that carries the name and chains to a trusted CA (or pass --ca-file "
           "with the CA that issued it); renew it when expired";
  if (kind == finding_kind::bad_status)
    return "the web server answered with an unexpected status: check its virtual host for this name "
           "and the application behind it";
  if (kind == finding_kind::bad_banner)
    return "the mail server did not greet as the protocol requires: check that the expected service "
           "listens on that port and is not overloaded or blocked by a proxy";
  if (kind == finding_kind::not_checked)
    return "the check could not be made from this vantage point: fix the cause named in the detail (a route, "
           "file descriptors, memory) and run again; nothing is known about the server";
  if (kind == finding_kind::no_starttls)
    return "enable STARTTLS on the SMTP server (Postfix: smtpd_tls_cert_file, smtpd_tls_key_file, "
           "smtpd_tls_security_level = may) and check that no middlebox strips it";
  return {};
}

bool is_local_failure(const error_code& ec) {
  namespace e = asio::error;
  // The kernel refused before anything left this host: no route, no descriptors, no buffers, a local
  // firewall (EPERM/EACCES on send or connect), no source address.
  return ec == e::network_unreachable || ec == e::no_descriptors || ec == e::no_buffer_space ||
         ec == e::no_memory || ec == e::access_denied || ec == std::errc::operation_not_permitted ||
         ec == std::errc::too_many_files_open_in_system || ec == std::errc::address_not_available;
}

finding_kind failure_kind(const error_code& ec) {
  namespace e = asio::error;
  if (is_local_failure(ec)) return finding_kind::not_checked;
  if (ec == e::connection_refused || ec == e::host_unreachable) return finding_kind::refused;
  if (ec == e::timed_out || ec == e::operation_aborted) return finding_kind::timeout;
  return finding_kind::reset;
}

std::string error_text(const error_code& ec) {
  if (ec == asio::error::eof) return "connection closed by the peer";
  if (ec == asio::ssl::error::stream_truncated) return "connection closed by the peer during TLS";
  return ec.message();
}

deadline_guard::deadline_guard(asio::any_io_executor ex, clock::time_point deadline, std::function<void()> on_expire)
    : state_(std::make_shared<state>()), deadline_(deadline), timer_(ex) {
  state_->on_expire = std::move(on_expire);
  timer_.expires_at(deadline);
  timer_.async_wait([s = state_](const error_code& ec) {
    if (ec || !s->on_expire) return;
    s->fired = true;
    auto f = std::move(s->on_expire);
    s->on_expire = nullptr;
    f();
  });
}

deadline_guard::~deadline_guard() {
  state_->on_expire = nullptr;
  timer_.cancel();
}

bool deadline_guard::expired() const {
  return state_->fired || clock::now() >= deadline_;
}

namespace {

// The first bytes a peer sent, printable, for a report line.
std::string printable_prefix(std::string_view bytes, std::size_t max = 40) {
  std::string out;
  for (char c : bytes.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (u < 0x20 || u >= 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  if (bytes.size() > max) out += "...";
  return out;
}

}  // namespace

void fail_io(probe_result& r, const deadline_guard& guard, std::string stage, const error_code& ec,
             clock::time_point start, std::string_view what, std::string_view received) {
  if (guard.expired()) {
    auto waited = std::chrono::duration<double>(clock::now() - start).count();
    if (received.empty()) {
      fail_result(r, std::move(stage), finding_kind::timeout, fmt::format("{}: nothing after {:.1f} s", what, waited));
    } else {
      // A peer that drips its reply is as useless as a silent one, but the report says which it was.
      fail_result(r, std::move(stage), finding_kind::timeout,
                  fmt::format("{}: only {} byte{} and no complete reply after {:.1f} s ('{}')", what,
                              received.size(), received.size() == 1 ? "" : "s", waited, printable_prefix(received)));
    }
  } else if (is_local_failure(ec)) {
    fail_local(r, std::move(stage), fmt::format("{} ({})", ec.message(), what));
  } else {
    fail_result(r, std::move(stage), failure_kind(ec), fmt::format("{}: {}", what, error_text(ec)));
  }
}

asio::ip::address to_asio(const ip_address& a) {
  if (a.v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(a.bytes.begin(), a.bytes.end(), b.begin());
    return asio::ip::address_v6(b);
  }
  asio::ip::address_v4::bytes_type b;
  std::copy(a.bytes.begin(), a.bytes.begin() + 4, b.begin());
  return asio::ip::address_v4(b);
}

tcp::endpoint to_asio(const ip_endpoint& e) {
  return tcp::endpoint(to_asio(e.address), e.port);
}

asio::awaitable<error_code> tcp_connect(tcp::socket& socket, const probe_context& ctx, const ip_endpoint& target) {
  error_code ec;
  auto ep = to_asio(target);
  socket.open(ep.protocol(), ec);
  if (ec) co_return ec;
  if (ctx.source && ctx.source->v6 == target.address.v6) {
    socket.bind(tcp::endpoint(to_asio(*ctx.source), 0), ec);
    if (ec) co_return ec;
  }
  co_await socket.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<std::optional<clock::time_point>> connect_stage(tcp::socket& socket, const probe_context& ctx,
                                                                const probe_request& req, probe_result& r,
                                                                const deadline_guard& guard, clock::time_point start) {
  r.check.stage = "connect";
  auto ec = co_await tcp_connect(socket, ctx, req.target);
  if (ec) {
    fail_io(r, guard, "connect", ec, start, "connect to " + req.target.str());
    co_return std::nullopt;
  }
  auto connected = clock::now();
  add_phase(r, "connect", start, connected);
  co_return connected;
}

asio::awaitable<probe_result> run_guarded(const probe_context& ctx, const probe_request& req, probe_body body) {
  auto start = clock::now();
  probe_result r = start_result(req);
  try {
    if (req.deadline == clock::time_point{})
      fail_result(r, "start", finding_kind::not_checked, "internal error: the probe was given no deadline");
    else
      co_await body(ctx, req, r, start);
  } catch (const std::exception& e) {
    fail_result(r, r.check.stage, finding_kind::not_checked, std::string("internal error: ") + e.what());
  } catch (...) {
    fail_result(r, r.check.stage, finding_kind::not_checked, "internal error");
  }
  finish_result(r, start);
  co_return r;
}

}  // namespace hc::probes
