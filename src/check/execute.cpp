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

probes::probe_result not_sent_result(const probes::probe_request& request, std::string stage, std::string detail,
                                     std::string hint) {
  auto out = base_result(request);
  out.failure = finding_kind::not_checked;
  out.hint = std::move(hint);
  out.check.ok = false;
  out.check.stage = std::move(stage);
  out.check.detail = std::move(detail);
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

namespace {

// One event loop over a list of requests: a bound on probes in flight, DNS over TCP bounded per
// server, one deadline per probe computed once here, a backstop shortly after the run's deadline.
class loop_run {
 public:
  loop_run(const std::vector<probes::probe_request>& requests, const execute_options& options)
      : options_(options), work_(requests), results_(requests.size()), done_(requests.size(), false),
        started_(requests.size()), backstop_(io_), limit_(std::max(1u, options.concurrency)) {
    ctx_.executor = io_.get_executor();
    ctx_.ca_file = options.ca_file;
    ctx_.insecure = options.insecure;
    ctx_.source = options.source;
  }

  std::vector<probes::probe_result> run() {
    if (work_.empty()) return std::move(results_);
    // A backstop: whatever a probe does, the loop ends shortly after the run's deadline.
    backstop_.expires_at(options_.deadline + std::chrono::milliseconds(300));
    backstop_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io_.stop();
    });
    launch();
    if (running_ > 0) io_.run();
    settle_leftovers();
    return std::move(results_);
  }

 private:
  using server_key = std::pair<std::string, std::uint16_t>;

  // DNS over TCP is bounded per server: a request over the bound waits in its server's queue and
  // starts when one of that server's probes ends; the others go on meanwhile.
  bool bounded(std::size_t i) const { return options_.dns_tcp_per_server > 0 && work_[i].service == "dns/tcp"; }
  server_key key_of(std::size_t i) const { return {work_[i].target.address.str(), work_[i].target.port}; }

  void launch() {
    while (running_ < limit_ && next_ < work_.size()) {
      std::size_t i = next_++;
      if (bounded(i)) {
        auto key = key_of(i);
        if (in_flight_[key] >= options_.dns_tcp_per_server) {
          waiting_[key].push_back(i);
          continue;
        }
      }
      start(i);
    }
  }

  void finished(std::size_t i) {
    --running_;
    if (bounded(i)) {
      auto key = key_of(i);
      --in_flight_[key];
      auto w = waiting_.find(key);
      while (w != waiting_.end() && !w->second.empty()) {
        std::size_t j = w->second.front();
        w->second.pop_front();
        if (start(j)) break;  // room: `running_` was just lowered
      }
    }
    launch();
    if (running_ == 0 && next_ == work_.size()) io_.stop();  // leftover timers of probes must not hold the run
  }

  // Starts probe i; false when it was settled without a probe (deadline passed, unknown service).
  bool start(std::size_t i) {
    auto now = probes::clock::now();
    if (now >= options_.deadline) {
      settle(i, not_started(base_result(work_[i])));
      return false;
    }
    work_[i].deadline = std::min(now + options_.probe_timeout, options_.deadline);
    const probes::probe_fn* fn = probes::find_probe(work_[i].service);
    if (!fn) {
      settle(i, internal_error(work_[i], "no probe for service " + work_[i].service));
      return false;
    }
    ++running_;
    started_[i] = now;
    if (bounded(i)) ++in_flight_[key_of(i)];
    asio::co_spawn(io_, (*fn)(ctx_, work_[i]), [this, i](std::exception_ptr e, probes::probe_result r) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          r = internal_error(work_[i], ex.what());
        } catch (...) {
          r = internal_error(work_[i], "unknown exception");
        }
      }
      settle(i, std::move(r));
      finished(i);
    });
    return true;
  }

  void settle(std::size_t i, probes::probe_result r) {
    results_[i] = std::move(r);
    done_[i] = true;
  }

  static probes::probe_result internal_error(const probes::probe_request& req, const std::string& what) {
    auto r = base_result(req);
    r.check.stage = "internal";
    r.failure = finding_kind::not_checked;
    r.check.detail = "internal error: " + what;
    return r;
  }

  // A probe still in flight here did not honour its deadline; it took as long as the run let it.
  void settle_leftovers() {
    const auto ended = probes::clock::now();
    for (std::size_t i = 0; i < work_.size(); ++i) {
      if (done_[i]) continue;
      if (started_[i] == probes::clock::time_point{}) {  // never started, or still queued (DNS over TCP per server)
        results_[i] = not_started(base_result(work_[i]));
        continue;
      }
      results_[i] = base_result(work_[i]);
      results_[i].failure = finding_kind::timeout;
      results_[i].check.stage = "deadline";
      results_[i].check.detail = "no answer before the run's deadline";
      results_[i].check.duration_s = std::chrono::duration<double>(ended - started_[i]).count();
    }
  }

  const execute_options& options_;
  // Each probe gets its own copy of the request with its deadline; declared before the io_context
  // so that coroutine frames it destroys never outlive their requests.
  std::vector<probes::probe_request> work_;
  std::vector<probes::probe_result> results_;
  std::vector<bool> done_;
  std::vector<probes::clock::time_point> started_;  // when each probe was spawned
  asio::io_context io_;
  asio::steady_timer backstop_;
  probes::probe_context ctx_;
  const unsigned limit_;
  std::size_t next_ = 0, running_ = 0;
  std::map<server_key, unsigned> in_flight_;
  std::map<server_key, std::deque<std::size_t>> waiting_;
};

// Interleaved shares of the requests on `threads` event loops, so that every loop gets a mix of
// services and servers; a share no thread can be made for (process limits) runs on this thread.
std::vector<probes::probe_result> execute_shared(const std::vector<probes::probe_request>& requests,
                                                 const execute_options& options, unsigned threads) {
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
      here.push_back(t);
    }
  }
  for (unsigned t : here) run_share(t);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
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
  if (threads > 1) return execute_shared(requests, options, threads);
  return loop_run(requests, options).run();
}

}  // namespace hc::check
