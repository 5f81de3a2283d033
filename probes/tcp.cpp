#include "probes/tcp.hpp"

#include <fmt/format.h>

#include "probes/tcp_common.hpp"

namespace hc::probes {

namespace {

asio::awaitable<void> run_tcp(const probe_context& ctx, const probe_request& req, probe_result& r,
                              clock::time_point start) {
  tcp::socket socket(ctx.executor);
  deadline_guard guard(ctx.executor, req.deadline, [&socket] {
    error_code ignored;
    socket.close(ignored);
  });
  auto connected = co_await connect_stage(socket, ctx, req, r, guard, start);
  if (!connected) co_return;
  r.check.detail = fmt::format("connected in {:.0f} ms", std::chrono::duration<double, std::milli>(*connected - start).count());
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

asio::awaitable<probe_result> probe_tcp(const probe_context& ctx, const probe_request& request) {
  probe_request req = request;
  if (req.service.empty()) req.service = "tcp/" + std::to_string(request.target.port);
  co_return co_await run_guarded(ctx, req, run_tcp);
}

}  // namespace hc::probes
