#include "cli/app.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "check/runner.hpp"
#include "cli/options.hpp"
#include "core/diagnostics.hpp"
#include "core/keep_until_exit.hpp"
#include "core/phase_clock.hpp"
#include "core/watchdog.hpp"
#include "report/report.hpp"

namespace hc::cli {
namespace {

void print(std::FILE* to, const std::string& text) {
  if (!text.empty()) std::fwrite(text.data(), 1, text.size(), to);
  std::fflush(to);
}

std::string render(const run_result& result, const cli_options& o) {
  switch (o.format) {
    case output_format::json: return report::render_json(result);
    case output_format::nagios: {
      report::nagios_options n;
      n.perfdata = o.perfdata;
      n.warning = o.run.warning;
      n.critical = o.run.critical;
      n.cert_warn_days = o.run.cert_warn_days;
      n.cert_crit_days = o.run.cert_crit_days;
      return report::render_nagios(result, n);
    }
    case output_format::prometheus: return report::render_prometheus(result, {o.prometheus_detail});
    case output_format::text: break;
  }
  report::text_options t;
  t.quiet = o.quiet;
  t.verbose = o.run.verbosity > 0;
  t.color = o.color.value_or(::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr);
  return report::render_text(result, t);
}

// A run that could not take place at all still reports in the format asked for.
run_result internal_failure(const std::string& what) {
  run_result r;
  finding f;
  f.kind = finding_kind::config_error;
  f.sev = severity::unknown;
  f.evidence = what;
  f.fix = "a fault of hairpin-check, not of the inputs: run it again with -vv and report the evidence and that "
          "output to its developers";
  r.findings.push_back(std::move(f));
  return r;
}

// The finding of a --textfile that could not be written: UNKNOWN (exit 3) with the reason.
finding textfile_failure(const std::string& what) {
  finding f;
  f.kind = finding_kind::not_checked;
  f.sev = severity::unknown;
  f.evidence = "--textfile: " + what;
  f.fix = "make the textfile directory writable for this user, or fix the --textfile path";
  return f;
}

// How old a textfile temporary must be to belong to no running run: older than the longest a run
// lasts (its deadline -t and the watchdog's grace), rounded up to whole seconds.
std::chrono::seconds textfile_grace(double timeout_s) {
  double s = timeout_s > 0 ? timeout_s : 0;
  if (s > 1e7) s = 1e7;
  s += std::chrono::duration<double>(watchdog_grace).count();
  return std::chrono::seconds(static_cast<long long>(std::ceil(s)));
}

// All of `text` to a descriptor, without stdio (whose locks the run's thread may hold).
void write_all(int fd, const std::string& text) noexcept {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Writes the textfile (when asked for); a failure becomes a finding of the result, so every
// output says UNKNOWN. The watchdog's thread calls it too: no stdio.
void write_textfile(run_result& result, const cli_options& o) {
  if (o.textfile.empty()) return;
  try {
    // Temporaries of runs killed before they could clean up; a run still under way is younger
    // than its deadline and grace, so no temporary that young is touched.
    report::remove_stale_temporaries(o.textfile, textfile_grace(o.run.timeout_s));
    report::write_textfile_atomically(o.textfile, report::render_prometheus(result, {o.prometheus_detail}));
  } catch (const std::exception& e) {
    write_all(STDERR_FILENO, std::string("hairpin-check: ") + e.what() + "\n");
    result.findings.push_back(textfile_failure(e.what()));
  }
}

// The report of a run the watchdog ended: UNKNOWN, saying how far the run got.
run_result timed_out(double timeout_s, const char* stage, std::chrono::steady_clock::time_point started) {
  run_result r;
  finding f;
  f.kind = finding_kind::not_checked;
  f.sev = severity::unknown;
  f.evidence = fmt::format("did not finish within -t {:g} s while {}", timeout_s, stage);
  f.fix = "raise -t, or remove what held this stage up (a pipe or FIFO that never ends, a huge or slow "
          "input, an unresponsive network)";
  r.findings.push_back(std::move(f));
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  r.finished_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return r;
}

// The watchdog's end of the run, on its own thread: the UNKNOWN report in the format asked for,
// the textfile as always, then _exit(3) (the run's thread is still busy and must not return).
[[noreturn]] void expire(const cli_options& o, std::chrono::steady_clock::time_point started) noexcept {
  try {
    run_result r = timed_out(o.run.timeout_s, current_stage(), started);
    write_textfile(r, o);
    write_all(STDOUT_FILENO, render(r, o));
  } catch (...) {
    // Out of memory, most likely: the one line every format can spare.
    write_all(STDOUT_FILENO, "HAIRPIN UNKNOWN - did not finish within -t\n");
  }
  ::_exit(3);
}

}  // namespace

int run(int argc, char** argv) noexcept {
  try {
    auto parsed = parse_command_line(argc, argv);
    if (!parsed.options) {
      print(parsed.to_stdout ? stdout : stderr, parsed.message);
      return parsed.exit_status;
    }
    parsed.options->run.exit_after = true;  // the process ends with this run
    const cli_options& o = *parsed.options;
    // -t bounds the whole run: past the deadline and its grace, the watchdog reports instead.
    const auto started = std::chrono::steady_clock::now();
    const auto fire_at = started +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(o.run.timeout_s)) +
                         watchdog_grace;
    std::unique_ptr<watchdog> alarm;
    try {
      alarm = std::make_unique<watchdog>(fire_at, [&o, started] { expire(o, started); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hairpin-check: no watchdog, -t bounds the probes only: %s\n", e.what());
    }
    // Kept, not freed, when the run is over (core/keep_until_exit.hpp): the view diff's zones live
    // in the result.
    auto held = std::make_unique<run_result>();
    run_result& result = *held;
    try {
      result = check::run(o.run);
    } catch (const std::exception& e) {
      result = internal_failure(std::string("internal error: ") + e.what());
    }
    // From here the output is the run's, or the watchdog's (then it writes and exits: wait for it).
    if (alarm && !alarm->claim_output()) {
      alarm->wait();
      return 3;
    }
    phase_clock timing;
    // The textfile first: when it cannot be written the run is UNKNOWN, and every output says so.
    write_textfile(result, o);
    if (o.format == output_format::json) {
      report::write_json(result, stdout);  // streamed: the findings can be hundreds of megabytes of text
    } else {
      print(stdout, render(result, o));
    }
    timing.lap("render");
    const int code = exit_code(result.status());
    keep_until_exit(std::move(held));
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hairpin-check: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "hairpin-check: internal error\n");
  }
  return 3;
}

}  // namespace hc::cli
