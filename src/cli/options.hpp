#pragma once
// Parsing the command line (docs/hairpin-check.1) into run options and output choices.

#include <optional>
#include <string>
#include <vector>

#include "check/options.hpp"
#include "report/report.hpp"

namespace hc::cli {

enum class output_format { text, json, nagios, prometheus };

struct cli_options {
  check::run_options run;
  output_format format = output_format::text;
  std::string textfile;  // also write the Prometheus exposition here, atomically
  report::perfdata_set perfdata = report::perfdata_set::summary;                   // --perfdata
  report::prometheus_detail prometheus_detail = report::prometheus_detail::names;  // --prometheus-detail
  bool quiet = false;
  std::optional<bool> color;  // --color/--no-color; unset: only on a terminal without NO_COLOR
};

// The outcome of parsing: options to run with, or text to print and an exit status.
// Help and version: exit 0, on stdout. Usage errors: exit 3; with --format nagios anywhere on the
// command line one ASCII line "HAIRPIN UNKNOWN - <reason>" on stdout (what Nagios shows), else
// "hairpin-check: <reason>" on stderr.
struct parse_outcome {
  std::optional<cli_options> options;
  std::string message;
  int exit_status = 0;
  bool to_stdout = true;  // where message goes
};

// The options file read when --config is not given, if it exists.
inline constexpr const char* default_config_file = "/etc/hairpin-check.conf";

// Options come from the command line, then from the options file (--config PATH, else
// default_config): INI, every long option by its name ("timeout = 20"), its top-level keys overridden
// by those of the section named by --profile (or by a top-level "profile = NAME"). The command line
// wins over the file. Usage errors in the file name the file.
parse_outcome parse_command_line(int argc, const char* const* argv,
                                 const std::string& default_config = default_config_file);

// True when the canonical NAME matches one of the canonical --exclude globs (run_options::exclude).
bool name_excluded(const std::string& name, const std::vector<std::string>& patterns);

}  // namespace hc::cli
