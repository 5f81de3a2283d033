#include "probes/https.hpp"

#include <limits>
#include <map>
#include <memory>
#include <optional>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <fmt/format.h>

#include "core/ascii.hpp"
#include "probes/tcp_common.hpp"
#include "probes/tls.hpp"

namespace hc::probes {

namespace {

namespace http = boost::beast::http;

// The most body bytes read; the rest is not needed to judge the response.
constexpr std::size_t max_body = 256 * 1024;
// The largest response header (status line and fields) accepted, of each response.
constexpr std::uint32_t max_header = 64 * 1024;
// The most interim (1xx) responses skipped before the final one.
constexpr int max_interim = 16;

bool status_expected(int status, const std::vector<int>& expected) {
  if (expected.empty()) return status >= 200 && status <= 399;
  for (int s : expected)
    if (s == status) return true;
  return false;
}

std::string expected_text(const std::vector<int>& expected) {
  if (expected.empty()) return "200-399";
  std::string out;
  for (int s : expected) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

bool client_address_header(const std::string& name) {
  return name.find("client") != std::string::npos || name.find("real-ip") != std::string::npos ||
         name.find("forwarded-for") != std::string::npos || name.find("remote-addr") != std::string::npos ||
         name == "forwarded";
}

// The request target: path with a leading '/', every byte that may not stand in a request line
// (controls, space, non-ASCII) percent-encoded, so that no path can split or extend the request.
std::string request_target(const std::string& url_path) {
  std::string path = url_path.empty() || url_path.front() != '/' ? "/" + url_path : url_path;
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      out += fmt::format("%{:02X}", u);
    else
      out += c;
  }
  return out;
}

// An HTTP parse error that means the peer's bytes are not HTTP (bad-status), as opposed to a
// connection that ended early (partial_message, end_of_stream: reset).
bool malformed(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::need_more &&
         ec != http::error::need_buffer;
}

using parser_type = http::response_parser<http::buffer_body>;

// One GET over stream (already connected, and for TLS after the handshake), judged into r.
// request_start is when the request went out; the phases processing and transfer are measured from it.
template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, const deadline_guard& guard, const probe_request& req, probe_result& r,
                               clock::time_point start, const std::string& host_header, const std::string& url,
                               const std::string& address_url, bool tls) {
  r.check.stage = "response";
  auto request_start = clock::now();
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hairpin-check/" HC_VERSION
      "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
      request_target(req.url_path), host_header);
  auto ec = co_await write_all(stream, request);
  if (ec) {
    fail_io(r, guard, "response", ec, start, "sending the HTTP request to " + address_url);
    co_return;
  }

  // Headers of every response; interim ones (1xx) are skipped, the final one is judged.
  boost::beast::flat_buffer buf(2 * max_header);
  std::optional<parser_type> p;
  const std::string waiting = "waiting for the HTTP response from " + address_url;
  for (int interim = 0;; ++interim) {
    if (interim > max_interim) {
      fail_result(r, "response", finding_kind::bad_status,
                  fmt::format("malformed HTTP response: more than {} interim (1xx) responses", max_interim));
      co_return;
    }
    p.emplace();
    p->header_limit(max_header);
    // The body is counted and cut at max_body here. (Not boost::none: Boost 1.74 compares a
    // Content-Length with the optional limit, and any number is more than none.)
    p->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (guard.expired()) ec = asio::error::timed_out;
    else co_await http::async_read_header(stream, buf, *p, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::ssl::error::stream_truncated && p->got_some()) {
      ec = {};
      p->put_eof(ec);  // closed without close_notify: an early end like any other
    }
    if (ec) {
      auto received = std::string_view(static_cast<const char*>(buf.data().data()), buf.data().size());
      if (guard.expired()) {
        fail_io(r, guard, "response", ec, start, waiting, received);
      } else if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
        fail_result(r, "response", finding_kind::reset,
                    fmt::format("{}: the connection was closed before any response (got nothing)", waiting));
      } else if (ec == http::error::partial_message) {
        fail_result(r, "response", finding_kind::reset,
                    fmt::format("{}: the connection was closed in the middle of the response header", waiting));
      } else if (ec == http::error::header_limit) {
        fail_result(r, "response", finding_kind::bad_status,
                    fmt::format("malformed HTTP response: a header of more than {} KiB from {}", max_header / 1024,
                                address_url));
      } else if (malformed(ec)) {
        fail_result(r, "response", finding_kind::bad_status,
                    fmt::format("malformed HTTP response: {} from {}", ec.message(), address_url));
      } else {
        fail_io(r, guard, "response", ec, start, waiting, received);
      }
      co_return;
    }
    int status = static_cast<int>(p->get().result_int());
    // 101 was not asked for (no Upgrade): it is final and judged like any other status.
    if (status >= 100 && status <= 199 && status != 101) continue;
    break;
  }
  auto header_done = clock::now();
  add_phase(r, "processing", request_start, header_done);

  auto& message = p->get();
  r.http_status = static_cast<int>(message.result_int());
  std::map<std::string, std::string> headers;  // lower-case name → value; the last one of a name
  for (const auto& field : message) {
    auto name = field.name_string();
    auto value = field.value();
    headers[ascii_lower(std::string_view(name.data(), name.size()))] = std::string(value.data(), value.size());
  }
  if (auto it = headers.find("server"); it != headers.end()) {
    r.banner = it->second;
    r.facts["server"] = it->second;
  }
  for (const auto& [name, value] : headers)
    if (client_address_header(name)) r.facts[name] = value;

  // The body: counted, not kept, read to its end or to max_body.
  std::size_t body_bytes = 0;
  char scratch[16 * 1024];
  while (!p->is_done() && body_bytes <= max_body) {
    message.body().data = scratch;
    message.body().size = sizeof scratch;
    if (guard.expired()) ec = asio::error::timed_out;
    else co_await http::async_read_some(stream, buf, *p, asio::redirect_error(asio::use_awaitable, ec));
    body_bytes += sizeof scratch - message.body().size;
    if (ec == http::error::need_buffer) ec = {};
    if (ec == asio::ssl::error::stream_truncated) {
      ec = {};
      p->put_eof(ec);  // a body read to the close, over TLS without close_notify
    }
    if (!ec) continue;
    const std::string what = fmt::format("HTTP {} from {}: reading the body ({} bytes read)", r.http_status,
                                         address_url, body_bytes);
    if (guard.expired()) {
      fail_result(r, "response", finding_kind::timeout,
                  fmt::format("{}: it did not end after {:.1f} s", what,
                              std::chrono::duration<double>(clock::now() - start).count()));
    } else if (ec == http::error::partial_message || ec == http::error::end_of_stream) {
      fail_result(r, "response", finding_kind::reset, what + ": the connection was closed before the end of the body");
    } else if (malformed(ec)) {
      // A broken chunked encoding: the body cannot be delimited, the transfer failed.
      fail_result(r, "response", finding_kind::reset, fmt::format("{}: {}", what, ec.message()));
    } else {
      fail_io(r, guard, "response", ec, start, what);
    }
    co_return;
  }
  add_phase(r, "transfer", header_done, clock::now());

  std::string cert = tls ? tls_detail(r.tls) : std::string();
  if (!status_expected(r.http_status, req.expected_status)) {
    fail_result(r, "response", finding_kind::bad_status,
                fmt::format("HTTP {} from {} (expected {}){}", r.http_status, url, expected_text(req.expected_status), cert));
    co_return;
  }
  r.check.detail = fmt::format("HTTP {}{}", r.http_status, cert);
}

asio::awaitable<void> run_http(const probe_context& ctx, const probe_request& req, probe_result& r,
                               clock::time_point start, bool tls) {
  std::string host = tls_host_name(req.name);
  std::string address = req.target.address.str();
  std::string address_url = req.target.address.v6 ? "[" + address + "]" : address;
  // The name the certificate must carry: the checked name, else the address itself.
  const std::string cert_name = host.empty() ? address : host;
  if (host.empty()) host = address_url;
  const std::uint16_t default_port = tls ? 443 : 80;
  const std::string host_header =
      req.target.port == default_port ? host : fmt::format("{}:{}", host, req.target.port);
  const std::string url = fmt::format("{}://{}:{}{}", tls ? "https" : "http", host, req.target.port,
                                      request_target(req.url_path));

  std::string ca_error;
  std::shared_ptr<asio::ssl::context> ssl_ctx;
  if (tls) ssl_ctx = tls_client_context(ctx, ca_error);
  // One stream type per scheme; the exchange over it is the same code.
  std::optional<asio::ssl::stream<tcp::socket>> tls_stream;
  std::optional<tcp::socket> plain;
  if (tls)
    tls_stream.emplace(ctx.executor, *ssl_ctx);
  else
    plain.emplace(ctx.executor);
  tcp::socket& socket = tls ? tls_stream->next_layer() : *plain;
  deadline_guard guard(ctx.executor, req.deadline, [&socket] {
    error_code ignored;
    socket.close(ignored);
  });

  auto connected = co_await connect_stage(socket, ctx, req, r, guard, start);
  if (!connected) co_return;

  if (!tls) {
    co_await exchange(*plain, guard, req, r, start, host_header, url, address_url, false);
    co_return;
  }

  // TLS handshake, the certificate verified for the checked name by the rule of every TLS probe.
  r.check.stage = "tls";
  tls_capture capture;
  error_code ec;
  tls_prepare(tls_stream->native_handle(), cert_name, &capture);
  co_await tls_stream->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (capture.leaf) {
    auto outcome = tls_outcome_from(capture, cert_name);
    r.tls = outcome;
    r.check.cert_not_after = outcome.not_after;
  }
  if (ec) {
    if (capture.first_error != X509_V_OK) {
      fail_result(r, "tls", finding_kind::tls_verify,
                  fmt::format("certificate for {}: {}", host,
                              r.tls ? r.tls->verify_error : tls_verify_error_text(capture.first_error)));
    } else if (!guard.expired() && ec.category() == asio::error::get_ssl_category()) {
      fail_result(r, "tls", finding_kind::tls_verify, "TLS handshake failed: " + ec.message());
    } else {
      fail_io(r, guard, "tls", ec, start, "TLS handshake with " + address_url);
    }
    if (!ca_error.empty()) r.check.detail += " (" + ca_error + ")";
    co_return;
  }
  r.check.tls_version = tls_version(tls_stream->native_handle());
  add_phase(r, "tls", *connected, clock::now());
  co_await exchange(*tls_stream, guard, req, r, start, host_header, url, address_url, true);
}

// run_http as run_guarded wants it, over TLS and in plain text.
asio::awaitable<void> run_https_body(const probe_context& ctx, const probe_request& req, probe_result& r,
                                     clock::time_point start) {
  co_await run_http(ctx, req, r, start, true);
}

asio::awaitable<void> run_plain_http_body(const probe_context& ctx, const probe_request& req, probe_result& r,
                                          clock::time_point start) {
  co_await run_http(ctx, req, r, start, false);
}

}  // namespace

asio::awaitable<probe_result> probe_https(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_https_body);
}

asio::awaitable<probe_result> probe_http(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_plain_http_body);
}

}  // namespace hc::probes
