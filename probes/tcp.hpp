#pragma once
// Generic TCP probe: does a connection to the target's port open ("tcp/PORT").

#include "core/asio.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

// Connects to request.target and closes; ok when the connection opened. Never throws.
asio::awaitable<probe_result> probe_tcp(const probe_context& ctx, const probe_request& request);

}  // namespace hc::probes
