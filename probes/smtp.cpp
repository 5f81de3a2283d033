#include "probes/smtp.hpp"

#include <fmt/format.h>

#include "probes/mail_parse.hpp"
#include "probes/tcp_common.hpp"
#include "probes/tls.hpp"

namespace hc::probes {

namespace {

// Reads one SMTP reply from stream into reply; buf keeps what came after it.
template <typename Stream>
asio::awaitable<error_code> read_reply(Stream& stream, std::string& buf, const deadline_guard& guard,
                                       smtp_reply& reply) {
  auto ec = co_await read_until_done(stream, buf, guard, [](std::string_view b) {
    return parse_smtp_reply(b).status != parse_status::incomplete;
  });
  reply = parse_smtp_reply(buf);
  if (reply.status == parse_status::complete) buf.erase(0, reply.consumed);
  co_return ec;
}

std::string reply_text(const smtp_reply& reply) {
  std::string text = std::to_string(reply.code);
  if (!reply.lines.empty()) text += " " + reply.lines.front();
  return text;
}

std::string ehlo_command(const tcp::socket& socket) {
  error_code ec;
  auto local = socket.local_endpoint(ec);
  if (ec) return "EHLO hairpin-check.invalid\r\n";
  auto a = local.address();
  if (a.is_v6()) return "EHLO [IPv6:" + a.to_string() + "]\r\n";
  return "EHLO [" + a.to_string() + "]\r\n";
}

asio::awaitable<void> run_smtp(const probe_context& ctx, const probe_request& req, probe_result& r,
                               clock::time_point start) {
  std::string ca_error;
  auto ssl_ctx = tls_client_context(ctx, ca_error);
  asio::ssl::stream<tcp::socket> stream(ctx.executor, *ssl_ctx);
  deadline_guard guard(ctx.executor, req.deadline, [&stream] {
    error_code ignored;
    stream.lowest_layer().close(ignored);
  });
  auto& plain = stream.next_layer();
  std::string buf;
  smtp_reply reply;

  auto connected = co_await connect_stage(plain, ctx, req, r, guard, start);
  if (!connected) co_return;
  error_code ec;

  // Greeting.
  r.check.stage = "banner";
  ec = co_await read_reply(plain, buf, guard, reply);
  if (reply.status == parse_status::malformed || reply.status == parse_status::too_long) {
    fail_result(r, "banner", finding_kind::bad_banner, "malformed greeting: " + reply.error);
    co_return;
  }
  if (reply.status != parse_status::complete) {
    fail_io(r, guard, "banner", ec, start, "waiting for the 220 banner", buf);
    co_return;
  }
  r.banner = reply_text(reply);
  if (reply.code != 220) {
    fail_result(r, "banner", finding_kind::bad_banner, "greeting is not 220: " + r.banner);
    co_return;
  }
  auto banner_host = smtp_banner_host(reply);
  r.facts["banner_host"] = banner_host;
  auto greeted = clock::now();
  add_phase(r, "banner", *connected, greeted);

  // EHLO over plain text.
  r.check.stage = "ehlo";
  ec = co_await write_all(plain, ehlo_command(plain));
  if (!ec) ec = co_await read_reply(plain, buf, guard, reply);
  if (reply.status == parse_status::malformed || reply.status == parse_status::too_long) {
    fail_result(r, "ehlo", finding_kind::bad_banner, "malformed EHLO reply: " + reply.error);
    co_return;
  }
  if (reply.status != parse_status::complete) {
    fail_io(r, guard, "ehlo", ec, start, "waiting for the EHLO reply", buf);
    co_return;
  }
  if (reply.code != 250) {
    fail_result(r, "ehlo", finding_kind::no_starttls, "EHLO rejected: " + reply_text(reply));
    co_return;
  }
  if (!smtp_has_extension(reply, "STARTTLS")) {
    fail_result(r, "ehlo", finding_kind::no_starttls, "banner " + banner_host + ": EHLO reply does not offer STARTTLS");
    co_await write_all(plain, "QUIT\r\n");
    co_return;
  }

  // STARTTLS.
  r.check.stage = "starttls";
  ec = co_await write_all(plain, "STARTTLS\r\n");
  if (!ec) ec = co_await read_reply(plain, buf, guard, reply);
  if (reply.status == parse_status::malformed || reply.status == parse_status::too_long) {
    fail_result(r, "starttls", finding_kind::no_starttls, "malformed STARTTLS reply: " + reply.error);
    co_return;
  }
  if (reply.status != parse_status::complete) {
    fail_io(r, guard, "starttls", ec, start, "waiting for the STARTTLS reply", buf);
    co_return;
  }
  if (reply.code != 220) {
    fail_result(r, "starttls", finding_kind::no_starttls, "STARTTLS refused: " + reply_text(reply));
    co_return;
  }
  if (!buf.empty()) {
    fail_result(r, "starttls", finding_kind::no_starttls, "data after the STARTTLS reply before TLS (command injection?)");
    co_return;
  }

  // TLS handshake, certificate verified for the checked name.
  r.check.stage = "tls";
  auto tls_start = clock::now();
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
    } else if (guard.expired()) {
      fail_io(r, guard, "tls", ec, start, "TLS handshake after STARTTLS");
    } else if (ec.category() == asio::error::get_ssl_category()) {
      fail_result(r, "tls", finding_kind::no_starttls, "TLS handshake after STARTTLS failed: " + ec.message());
    } else {
      fail_io(r, guard, "tls", ec, start, "TLS handshake after STARTTLS");
    }
    if (!ca_error.empty()) r.check.detail += " (" + ca_error + ")";
    co_return;
  }
  r.check.tls_version = tls_version(stream.native_handle());
  auto tls_done = clock::now();
  add_phase(r, "tls", tls_start, tls_done);

  // EHLO again, now inside TLS, then QUIT.
  r.check.stage = "ehlo-tls";
  ec = co_await write_all(stream, ehlo_command(plain));
  if (!ec) ec = co_await read_reply(stream, buf, guard, reply);
  if (reply.status != parse_status::complete) {
    if (reply.status == parse_status::malformed || reply.status == parse_status::too_long)
      fail_result(r, "ehlo-tls", finding_kind::no_starttls, "malformed EHLO reply over TLS: " + reply.error);
    else
      fail_io(r, guard, "ehlo-tls", ec, start, "waiting for the EHLO reply over TLS", buf);
    co_return;
  }
  if (reply.code != 250) {
    fail_result(r, "ehlo-tls", finding_kind::no_starttls, "EHLO over TLS rejected: " + reply_text(reply));
    co_return;
  }
  add_phase(r, "request", tls_done, clock::now());

  r.check.stage = "quit";
  ec = co_await write_all(stream, "QUIT\r\n");
  if (!ec) co_await read_reply(stream, buf, guard, reply);  // a missing 221 is no failure

  std::string cert = tls_detail(r.tls);
  r.check.detail = fmt::format("220 {}, STARTTLS ok{}", banner_host, cert);
}

}  // namespace

asio::awaitable<probe_result> probe_smtp(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_smtp);
}

}  // namespace hc::probes
