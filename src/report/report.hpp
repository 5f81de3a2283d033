#pragma once
// Output writers: pure functions from the result model (core/result.hpp) to text, JSON schema 1,
// Nagios plugin output and the Prometheus text exposition; plus an atomic file writer for
// node_exporter's textfile collector.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/range.hpp"
#include "core/result.hpp"

namespace hc::report {

// How render_text lays out its output.
struct text_options {
  bool color = false;  // ANSI colours; the CLI sets it when stdout is a tty and NO_COLOR is unset
  bool quiet = false;  // nothing at all when the status is OK
  // -v: every finding in full, info kinds too; without it info kinds are one line each and the
  // other kinds show their first causes (the full list is in the JSON output).
  bool verbose = false;
};

// Which perfdata the Nagios output carries (--perfdata).
enum class perfdata_set {
  // A bounded set: the run's totals; per service and path ("https_hairpin") the checks, the failed
  // ones and the worst response time; per TLS service the fewest certificate days left.
  summary,
  // The summary set, then one item per check (and per certificate): grows with the zone.
  checks,
};

// Thresholds and bounds of the Nagios plugin output.
struct nagios_options {
  perfdata_set perfdata = perfdata_set::summary;
  // The response time ranges the run applied (-w/-c), shown with the response time perfdata; unset: none shown.
  std::optional<nagios_range> warning, critical;
  int cert_warn_days = default_cert_warn_days;  // certificate days-left thresholds (perfdata range "N:")
  int cert_crit_days = default_cert_crit_days;
  std::size_t max_first_line = 4096;   // status, summary and perfdata, in bytes
  std::size_t max_long_lines = 50;     // long output lines before "... and K more"
  std::size_t max_line_length = 1024;  // bytes of one long output line
  std::size_t max_long_output = 4096;  // bytes of the whole long output
};

// For people: findings by severity then kind, the checks table, views and zones, notes.
// Empty when options.quiet and the status is OK.
std::string render_text(const run_result& result, const text_options& options = {});

// The contract's JSON schema 1 (docs/json-schema.md), one object and a final newline.
std::string render_json(const run_result& result);

// The same text as render_json, written to `to` in pieces of about 1 MiB and flushed, so that the
// report of a run with hundreds of thousands of findings is never held in memory whole.
void write_json(const run_result& result, std::FILE* to);

// The monitoring-plugins output: "HAIRPIN <STATE> - summary | perfdata", then one line per finding.
// Perfdata are whole items that fit in max_first_line (the length Nagios Core keeps of the first
// line); when some do not, the first long output line says "perfdata: N items left out, see
// --perfdata". A finding for many names (count > 0) shows "(N names, e.g. a, b, c)". ASCII only: other characters become ASCII look-alikes ("->" for an arrow) or '?', and '|' outside
// the perfdata becomes '/'. The exit status is the caller's: exit_code(result.status()).
std::string render_nagios(const run_result& result, const nagios_options& options = {});

// The Nagios output of a run that could not start (a usage error): "HAIRPIN UNKNOWN - <reason>",
// one ASCII line; the caller exits 3.
std::string render_nagios_unknown(std::string_view reason);

// Which series the Prometheus exposition carries (--prometheus-detail).
enum class prometheus_detail {
  // Per check: labelled name, type, service, path (and address). Grows with the zone.
  names,
  // Per service, path and type only (hairpin_service_*), without name or address labels: a number
  // of series that does not grow with the zone, and no series that comes and goes when DNS changes.
  aggregate,
};

struct prometheus_options {
  prometheus_detail detail = prometheus_detail::names;
};

// The Prometheus text exposition format 0.0.4, every metric named hairpin_*. Per-check series are
// labelled name, type, service, path (and address): checks that differ only by type never merge.
std::string render_prometheus(const run_result& result, const prometheus_options& options = {});

// Replaces `path` with `content` atomically: a temporary file in the same directory (".name.tmp.XXXXXX"),
// fsync, rename over `path`, fsync the directory. Never leaves a partial file; removes the temporary
// file on failure. Throws hc::input_error naming the path and the system error.
void write_textfile_atomically(const std::string& path, const std::string& content);

// Removes the temporaries that write_textfile_atomically left beside `path` in runs killed before
// they could clean up: regular files named exactly ".name.tmp.XXXXXX" (six letters or digits, as
// mkstemp makes them) last modified more than older_than ago, so that a run still under way (which
// ends within its deadline) keeps its own. Symbolic links and anything else are left alone; errors
// are ignored (the write that follows reports a directory it cannot use). Returns how many it removed.
std::size_t remove_stale_temporaries(const std::string& path, std::chrono::seconds older_than);

}  // namespace hc::report
