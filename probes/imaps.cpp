#include "probes/imaps.hpp"

#include <fmt/format.h>

#include "probes/mail_parse.hpp"
#include "probes/tcp_common.hpp"
#include "probes/tls.hpp"

namespace hc::probes {

namespace {

asio::awaitable<void> run_imaps(const probe_context& ctx, const probe_request& req, probe_result& r,
                                clock::time_point start) {
  std::string ca_error;
  auto ssl_ctx = tls_client_context(ctx, ca_error);
  asio::ssl::stream<tcp::socket> stream(ctx.executor, *ssl_ctx);
  deadline_guard guard(ctx.executor, req.deadline, [&stream] {
    error_code ignored;
    stream.lowest_layer().close(ignored);
  });
  std::string buf;

  auto connected = co_await connect_stage(stream.next_layer(), ctx, req, r, guard, start);
  if (!connected) co_return;
  error_code ec;

  // TLS handshake, certificate verified for the checked name.
  r.check.stage = "tls";
  tls_capture capture;
  tls_prepare(stream.native_handle(), req.name, &capture);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  auto outcome = tls_outcome_from(capture, req.name);
  if (capture.leaf) {
    r.tls = outcome;
    r.check.cert_not_after = outcome.not_after;
  }
  if (ec) {
    if (capture.first_error != X509_V_OK) {
      fail_result(r, "tls", finding_kind::tls_verify, fmt::format("certificate for {}: {}", req.name, outcome.verify_error));
    } else if (!guard.expired() && ec.category() == asio::error::get_ssl_category()) {
      fail_result(r, "tls", finding_kind::tls_verify, "TLS handshake failed: " + ec.message());
    } else {
      fail_io(r, guard, "tls", ec, start, "TLS handshake");
    }
    if (!ca_error.empty()) r.check.detail += " (" + ca_error + ")";
    co_return;
  }
  r.check.tls_version = tls_version(stream.native_handle());
  auto tls_done = clock::now();
  add_phase(r, "tls", *connected, tls_done);

  // Greeting.
  r.check.stage = "greeting";
  ec = co_await read_until_done(stream, buf, guard, [](std::string_view b) {
    return parse_imap_greeting(b).status != parse_status::incomplete;
  });
  auto greeting = parse_imap_greeting(buf);
  if (greeting.status == parse_status::malformed || greeting.status == parse_status::too_long) {
    fail_result(r, "greeting", finding_kind::bad_banner, "malformed IMAP greeting: " + greeting.error);
    co_return;
  }
  if (greeting.status != parse_status::complete) {
    fail_io(r, guard, "greeting", ec, start, "waiting for the IMAP greeting", buf);
    co_return;
  }
  buf.erase(0, greeting.consumed);
  r.banner = greeting.text;
  if (greeting.condition == "BYE") {
    fail_result(r, "greeting", finding_kind::bad_banner, "the server says BYE: " + greeting.text);
    co_return;
  }
  auto greeted = clock::now();
  add_phase(r, "banner", tls_done, greeted);

  // CAPABILITY.
  r.check.stage = "capability";
  ec = co_await write_all(stream, "a1 CAPABILITY\r\n");
  if (!ec)
    ec = co_await read_until_done(stream, buf, guard, [](std::string_view b) {
      return parse_imap_completion(b, "a1").status != parse_status::incomplete;
    });
  auto caps = parse_imap_completion(buf, "a1");
  if (caps.status == parse_status::malformed || caps.status == parse_status::too_long) {
    fail_result(r, "capability", finding_kind::bad_banner, "malformed CAPABILITY response: " + caps.error);
    co_return;
  }
  if (caps.status != parse_status::complete) {
    fail_io(r, guard, "capability", ec, start, "waiting for the CAPABILITY response", buf);
    co_return;
  }
  buf.erase(0, caps.consumed);
  if (caps.condition != "OK") {
    fail_result(r, "capability", finding_kind::bad_banner, "CAPABILITY answered " + caps.condition + " " + caps.text);
    co_return;
  }
  std::string cap_list;
  for (const auto& c : caps.capabilities.empty() ? greeting.capabilities : caps.capabilities)
    cap_list += (cap_list.empty() ? "" : " ") + c;
  r.facts["capabilities"] = cap_list;
  add_phase(r, "request", greeted, clock::now());

  // LOGOUT; its answer is not needed.
  r.check.stage = "logout";
  ec = co_await write_all(stream, "a2 LOGOUT\r\n");
  if (!ec)
    co_await read_until_done(stream, buf, guard, [](std::string_view b) {
      return parse_imap_completion(b, "a2").status != parse_status::incomplete;
    });

  std::string cert = tls_detail(r.tls);
  r.check.detail = fmt::format("* {}{}", greeting.text.substr(0, 80), cert);
}

}  // namespace

asio::awaitable<probe_result> probe_imaps(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_imaps);
}

}  // namespace hc::probes
