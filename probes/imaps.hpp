#pragma once
// IMAPS probe: TLS on connect with the certificate verified for the checked name, the "* OK"
// greeting, CAPABILITY, LOGOUT.

#include "core/asio.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

// Stages: connect, tls, greeting, capability, done. Fills banner (the greeting line after "* "),
// facts["capabilities"] and tls. Never throws.
asio::awaitable<probe_result> probe_imaps(const probe_context& ctx, const probe_request& request);

}  // namespace hc::probes
