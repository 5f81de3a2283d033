#include "cli/app.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "check/runner.hpp"
#include "cli/options.hpp"
#include "core/diagnostics.hpp"
#include "core/phase_clock.hpp"
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
      n.warning = o.run.warning;
      n.critical = o.run.critical;
      n.cert_warn_days = o.run.cert_warn_days;
      n.cert_crit_days = o.run.cert_crit_days;
      return report::render_nagios(result, n);
    }
    case output_format::prometheus: return report::render_prometheus(result);
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

// How old a textfile temporary must be to belong to no running run: older than the run's
// deadline (-t), rounded up to whole seconds.
std::chrono::seconds textfile_grace(double timeout_s) {
  double s = timeout_s > 0 ? timeout_s : 0;
  if (s > 1e7) s = 1e7;
  return std::chrono::seconds(static_cast<long long>(std::ceil(s)));
}

}  // namespace

int run(int argc, char** argv) noexcept {
  try {
    auto parsed = parse_command_line(argc, argv);
    if (!parsed.options) {
      print(parsed.to_stdout ? stdout : stderr, parsed.message);
      return parsed.exit_status;
    }
    const cli_options& o = *parsed.options;
    run_result result;
    try {
      result = check::run(o.run);
    } catch (const std::exception& e) {
      result = internal_failure(std::string("internal error: ") + e.what());
    }
    phase_clock timing;
    // The textfile first: when it cannot be written the run is UNKNOWN, and every output says so.
    if (!o.textfile.empty()) {
      try {
        // Temporaries of runs killed before they could clean up; a run still under way is younger
        // than its deadline, so no temporary that young is touched.
        report::remove_stale_temporaries(o.textfile, textfile_grace(o.run.timeout_s));
        report::write_textfile_atomically(o.textfile, report::render_prometheus(result));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "hairpin-check: %s\n", e.what());
        result.findings.push_back(textfile_failure(e.what()));
      }
    }
    if (o.format == output_format::json) {
      report::write_json(result, stdout);  // streamed: the findings can be hundreds of megabytes of text
    } else {
      print(stdout, render(result, o));
    }
    timing.lap("render");
    return exit_code(result.status());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hairpin-check: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "hairpin-check: internal error\n");
  }
  return 3;
}

}  // namespace hc::cli
