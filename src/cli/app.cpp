#include "cli/app.hpp"

#include <unistd.h>

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
    std::string out = render(result, o);
    timing.lap("render");
    if (!o.textfile.empty()) {
      try {
        report::write_textfile_atomically(o.textfile, report::render_prometheus(result));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "hairpin-check: %s\n", e.what());
        print(stdout, out);
        return 3;
      }
    }
    print(stdout, out);
    return exit_code(result.status());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hairpin-check: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "hairpin-check: internal error\n");
  }
  return 3;
}

}  // namespace hc::cli
