#pragma once
// SMTP probe: 220 banner, EHLO, STARTTLS offered and completed with the certificate verified for
// the checked name, EHLO again over TLS, QUIT.

#include "core/asio.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

// Stages: connect, banner, ehlo, starttls, tls, ehlo-tls, done. Fills banner (the 220 line),
// facts["banner_host"] (the host name the banner announces) and tls. Never throws.
asio::awaitable<probe_result> probe_smtp(const probe_context& ctx, const probe_request& request);

}  // namespace hc::probes
