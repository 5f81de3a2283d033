#include "check/execute.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <system_error>
#include <thread>

#include <fmt/format.h>

namespace hc::check {
namespace {

// A probe that never started because the run's deadline came first: nothing is known about the server.
probes::probe_result not_started(probes::probe_result out) {
  out.failure = finding_kind::not_checked;
  out.check.ok = false;
  out.check.stage = "deadline";
  out.check.duration_s = 0;
  out.check.detail = "not started: the run's deadline came first; raise -t or lower the number of names";
  out.hint = "the check was not made, so nothing is known about the server: give the run more time (-t) "
             "or check fewer names at once";
  return out;
}

probes::probe_result base_result(const probes::probe_request& r) {
  probes::probe_result out;
  out.check.name = r.name;
  out.check.service = r.service;
  out.check.path = r.path;
  out.check.address = r.target.address.str();
  out.check.port = r.target.port;
  return out;
}

}  // namespace

probes::probe_result skipped_result(const probes::probe_request& request, const probes::probe_result& gate) {
  auto out = base_result(request);
  out.failure = gate.failure;
  out.hint = gate.hint;
  out.check.ok = false;
  out.check.stage = "skipped";
  // The gate's own detail carries the cause (a timeout, "Network is unreachable"...): repeat it.
  out.check.detail = fmt::format("not sent: {} {} to {}#{} already failed ({}{}{})", gate.check.service,
                                 gate.check.name, gate.check.address, gate.check.port,
                                 gate.failure ? std::string(name(*gate.failure)) : gate.check.stage,
                                 gate.check.detail.empty() ? "" : ": ", gate.check.detail);
  return out;
}

namespace {

// One event loop over some of the requests (indices `mine`), writing results[i] for each of them.
void execute_on_one_loop(const std::vector<probes::probe_request>& requests, const std::vector<std::size_t>& mine,
                         const execute_options& options, unsigned loops, unsigned limit_here,
                         std::vector<probes::probe_result>& all_results) {
  std::vector<probes::probe_request> sub;
  sub.reserve(mine.size());
  for (std::size_t i : mine) sub.push_back(requests[i]);
  execute_options o = options;
  o.concurrency = limit_here;
  if (options.dns_tcp_per_server > 0)
    o.dns_tcp_per_server = std::max(1u, options.dns_tcp_per_server / loops);
  o.threads = 1;
  auto results = execute(sub, o);
  for (std::size_t k = 0; k < mine.size(); ++k) all_results[mine[k]] = std::move(results[k]);
}

}  // namespace

std::vector<probes::probe_result> execute(const std::vector<probes::probe_request>& requests,
                                          const execute_options& options) {
  unsigned threads = options.threads;
  if (threads == 0) {
    // TLS handshakes keep one core busy long before the network is: a second loop halves the run
    // when there is enough to share (a few requests are not worth a thread).
    threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    if (requests.size() < 256) threads = 1;
  }
  threads = std::min<unsigned>(threads, std::max(1u, options.concurrency));
  if (threads > 1) {
    // Interleaved shares, so that every loop gets a mix of services and servers.
    std::vector<std::vector<std::size_t>> shares(threads);
    for (std::size_t i = 0; i < requests.size(); ++i) shares[i % threads].push_back(i);
    std::vector<probes::probe_result> results(requests.size());
    const unsigned limit = std::max(1u, options.concurrency / threads);
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    auto run_share = [&](unsigned t) {
      try {
        execute_on_one_loop(requests, shares[t], options, threads, limit, results);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    };
    std::vector<unsigned> here{0};  // shares this thread runs: its own, and any no thread could take
    for (unsigned t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(run_share, t);
      } catch (const std::system_error&) {
        here.push_back(t);  // no thread (process limits): run it here, after our own
      }
    }
    for (unsigned t : here) run_share(t);
    for (auto& th : pool) th.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    return results;
  }

  std::vector<probes::probe_result> results(requests.size());
  std::vector<bool> done(requests.size(), false);
  std::vector<probes::clock::time_point> started(requests.size());  // when each probe was spawned
  if (requests.empty()) return results;

  // Each probe gets its own copy of the request with its deadline, computed here once; declared
  // before the io_context so that coroutine frames it destroys never outlive their requests.
  std::vector<probes::probe_request> work = requests;
  asio::io_context io;
  asio::steady_timer backstop(io);
  probes::probe_context ctx;
  ctx.executor = io.get_executor();
  ctx.ca_file = options.ca_file;
  ctx.insecure = options.insecure;
  ctx.source = options.source;

  std::size_t next = 0, running = 0;
  const unsigned limit = std::max(1u, options.concurrency);

  // DNS over TCP is bounded per server: a request over the bound waits in its server's queue and
  // starts when one of that server's probes ends; the others go on meanwhile.
  using server_key = std::pair<std::string, std::uint16_t>;
  auto bounded = [&](std::size_t i) { return options.dns_tcp_per_server > 0 && work[i].service == "dns/tcp"; };
  auto key_of = [&](std::size_t i) { return server_key{work[i].target.address.str(), work[i].target.port}; };
  std::map<server_key, unsigned> in_flight;
  std::map<server_key, std::deque<std::size_t>> waiting;

  std::function<bool(std::size_t)> start;  // false: settled without a probe (deadline, unknown service)
  std::function<void()> launch = [&]() {
    while (running < limit && next < work.size()) {
      std::size_t i = next++;
      if (bounded(i)) {
        auto key = key_of(i);
        if (in_flight[key] >= options.dns_tcp_per_server) {
          waiting[key].push_back(i);
          continue;
        }
      }
      start(i);
    }
  };
  auto finished = [&](std::size_t i) {
    --running;
    if (bounded(i)) {
      auto key = key_of(i);
      --in_flight[key];
      auto w = waiting.find(key);
      while (w != waiting.end() && !w->second.empty()) {
        std::size_t j = w->second.front();
        w->second.pop_front();
        if (start(j)) break;  // room: `running` was just lowered
      }
    }
    launch();
    if (running == 0 && next == work.size()) io.stop();  // leftover timers of probes must not hold the run
  };

  start = [&](std::size_t i) -> bool {
    auto now = probes::clock::now();
    if (now >= options.deadline) {
      results[i] = not_started(base_result(work[i]));
      done[i] = true;
      return false;
    }
    work[i].deadline = std::min(now + options.probe_timeout, options.deadline);
    const probes::probe_fn* fn = probes::find_probe(work[i].service);
    if (!fn) {
      results[i] = base_result(work[i]);
      results[i].check.stage = "internal";
      results[i].failure = finding_kind::not_checked;
      results[i].check.detail = "internal error: no probe for service " + work[i].service;
      done[i] = true;
      return false;
    }
    ++running;
    started[i] = now;
    if (bounded(i)) ++in_flight[key_of(i)];
    asio::co_spawn(io, (*fn)(ctx, work[i]),
                   [&, i](std::exception_ptr e, probes::probe_result r) {
                     if (e) {
                       r = base_result(work[i]);
                       r.check.stage = "internal";
                       r.failure = finding_kind::not_checked;
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         r.check.detail = std::string("internal error: ") + ex.what();
                       } catch (...) {
                         r.check.detail = "internal error";
                       }
                     }
                     results[i] = std::move(r);
                     done[i] = true;
                     finished(i);
                   });
    return true;
  };

  // A backstop: whatever a probe does, the loop ends shortly after the run's deadline.
  backstop.expires_at(options.deadline + std::chrono::milliseconds(300));
  backstop.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });

  launch();
  if (running == 0) return results;  // nothing was started
  io.run();

  // A probe still in flight here did not honour its deadline; it took as long as the run let it.
  const auto ended = probes::clock::now();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (done[i]) continue;
    if (started[i] == probes::clock::time_point{}) {  // still queued (DNS over TCP per server)
      results[i] = not_started(base_result(requests[i]));
      continue;
    }
    results[i] = base_result(requests[i]);
    results[i].failure = finding_kind::timeout;
    results[i].check.stage = "deadline";
    results[i].check.detail = "no answer before the run's deadline";
    results[i].check.duration_s = std::chrono::duration<double>(ended - started[i]).count();
  }
  return results;
}

}  // namespace hc::check
