#pragma once
// What every probe shares (DNS over UDP and TCP, HTTP(S), SMTP, IMAPS, TCP): the top that catches
// everything, a guard that stops the I/O at the request's deadline, connecting (from the context's
// source address), and how transport errors map to the contract's finding kinds.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/asio.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// A result with the request's name, service, path, address and port filled, not ok, stage "start".
probe_result start_result(const probe_request& req);

// Sets duration_s from start, and ok / stage "done" when there is no failure.
void finish_result(probe_result& r, clock::time_point start);

// Marks r failed at stage with a contract kind, a detail and kind's default hint.
void fail_result(probe_result& r, std::string stage, finding_kind kind, std::string detail);

// Marks r not-checked at stage because this host could not send (is_local_failure): detail
// "the vantage point cannot send: <why>", the not-checked hint (nothing is known about the server).
void fail_local(probe_result& r, std::string stage, const std::string& why);

// Adds a phase timing, in seconds since since.
void add_phase(probe_result& r, std::string phase, clock::time_point since, clock::time_point until);

// What a TCP-based probe does between start_result and finish_result.
using probe_body = asio::awaitable<void> (*)(const probe_context&, const probe_request&, probe_result&,
                                             clock::time_point start);

// The top of every probe: runs body, turns whatever it throws into a failed result (not-checked,
// "internal error: ..."), and finishes the result (duration_s from start to the end, also on
// failure). A request without a deadline is an internal error and sends nothing.
asio::awaitable<probe_result> run_guarded(const probe_context& ctx, const probe_request& req, probe_body body);

// The hint for a failure kind seen on one path ("refused": nothing listens, or the router answers).
std::string default_hint(finding_kind kind);

// The contract kind for a transport error: "refused", "reset", "timeout"; "reset" for anything else
// that broke the connection.
finding_kind failure_kind(const error_code& ec);

// True when `ec` says this host could not send at all (no route, no descriptors, no buffer space,
// a local firewall): nothing is known about the peer, the check is not-checked.
bool is_local_failure(const error_code& ec);

// The text of a transport error for the report ("connection refused", "connection reset by peer").
std::string error_text(const error_code& ec);

// Calls on_expire once at deadline, unless destroyed first. The callback runs on the executor and
// is dropped on destruction, so it may refer to objects that live as long as the guard.
class deadline_guard {
 public:
  deadline_guard(asio::any_io_executor ex, clock::time_point deadline, std::function<void()> on_expire);
  ~deadline_guard();
  deadline_guard(const deadline_guard&) = delete;
  deadline_guard& operator=(const deadline_guard&) = delete;

  // Whether the deadline passed (the callback ran, or the time is over).
  bool expired() const;

 private:
  struct state {
    bool fired = false;
    std::function<void()> on_expire;
  };
  std::shared_ptr<state> state_;
  clock::time_point deadline_;
  asio::steady_timer timer_;
};

// Marks r failed at stage after a transport error: "timeout" when guard expired, else the error's kind.
// what says what was going on ("connect to 127.0.0.1#25", "waiting for the banner"); received, the
// bytes of an unfinished reply, tells a peer that drips from one that says nothing.
void fail_io(probe_result& r, const deadline_guard& guard, std::string stage, const error_code& ec,
             clock::time_point start, std::string_view what, std::string_view received = {});

// Reads into buf until done(buf) is true, the peer closes, an error occurs or guard's deadline
// passes (asio::error::timed_out): a peer that keeps the socket readable (an endless stream)
// cannot hold the probe past its deadline. Never throws.
template <typename Stream, typename Done>
asio::awaitable<error_code> read_until_done(Stream& stream, std::string& buf, const deadline_guard& guard, Done done) {
  char chunk[4096];
  while (!done(std::string_view(buf))) {
    if (guard.expired()) co_return asio::error::timed_out;
    error_code ec;
    std::size_t n = co_await stream.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    buf.append(chunk, n);
    if (ec) co_return done(std::string_view(buf)) ? error_code{} : ec;
  }
  co_return error_code{};
}

asio::ip::address to_asio(const ip_address& a);
tcp::endpoint to_asio(const ip_endpoint& e);

// Opens socket and connects it to target, bound to ctx.source when set. Never throws.
asio::awaitable<error_code> tcp_connect(tcp::socket& socket, const probe_context& ctx, const ip_endpoint& target);

// The connect stage of a TCP-based probe: stage "connect", connects socket to req.target (from
// ctx.source), adds the phase "connect" and returns when the connection was made; on failure marks
// r failed (fail_io: refused, reset, timeout, not-checked for a local failure) and returns nothing.
asio::awaitable<std::optional<clock::time_point>> connect_stage(tcp::socket& socket, const probe_context& ctx,
                                                                const probe_request& req, probe_result& r,
                                                                const deadline_guard& guard, clock::time_point start);

// Writes all of data. Never throws.
template <typename Stream>
asio::awaitable<error_code> write_all(Stream& stream, std::string_view data) {
  error_code ec;
  co_await asio::async_write(stream, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

}  // namespace hc::probes
