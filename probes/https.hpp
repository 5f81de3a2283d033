#pragma once
// HTTPS and HTTP probes: an HTTP/1.1 GET (Boost.Beast's parser) over an Asio socket or an
// asio::ssl::stream on the shared TLS client context, pinned to the target address with the checked
// name as SNI and Host. No redirect is followed, no connection kept.

#include "core/asio.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

// GET https://NAME:PORT/PATH from request.target.address: chain and name verified (ctx.ca_file, else
// the system store; off only when ctx.insecure), status in request.expected_status (default
// 200-399). Stages: connect, tls, response, done. Fills http_status, banner (Server header),
// tls, facts["server"] and client-address-like headers (facts["x-client-address"], ...),
// phases connect/tls/processing/transfer. Never throws; the io_context must run on one thread.
asio::awaitable<probe_result> probe_https(const probe_context& ctx, const probe_request& request);

// The same over plain HTTP (port 80).
asio::awaitable<probe_result> probe_http(const probe_context& ctx, const probe_request& request);

}  // namespace hc::probes
