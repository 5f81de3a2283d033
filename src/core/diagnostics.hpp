#pragma once
// Where a configuration element came from, and the errors found while reading it.
//
// Input text reaches the output (text, JSON, Nagios, mail, web UIs) only through the `near` of a
// diagnostic, and only bounded: at most max_quoted bytes of the offending token, every byte that is
// not printable ASCII (and the quote) written \xNN. A file marked private (one reached through an
// `include` or `$INCLUDE`, which may be anybody's file) is never quoted at all: its `near` becomes a
// description of the token, "a word of 98 bytes". The number of diagnostics is bounded too: per file
// and message, and per file (input_limits), the rest counted in one "... and N more" line.

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hc {

// A position in an input file; line and column start at 1, 0 means unknown.
struct source_location {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  // "file:line:col", or fewer parts when line or column are unknown.
  std::string str() const;
};

// One error or warning found while reading configuration, zones or NAT rules.
struct diagnostic {
  source_location where;
  std::string message;
  std::string near;  // the offending token, cut and escaped (or described); empty when there is none
  bool is_error = true;

  // "file:line:col: message near 'token'" as BIND words it.
  std::string str() const;
};

// The most bytes of a token a diagnostic quotes.
inline constexpr std::size_t max_quoted = 32;

// `text` safe to show: printable ASCII kept, any other byte, the quote and the backslash as \xNN,
// cut after max_bytes input bytes with "..." appended.
std::string escape_text(std::string_view text, std::size_t max_bytes = max_quoted);

// A description of a token that quotes none of it: "a word of 12 bytes", "a quoted string of 40
// bytes", "a word of 7 bytes, first unusual byte 0x00 at offset 3". Single punctuation ("{", "}",
// ";", "(", ")") is shown as itself.
std::string describe_token(std::string_view token);

// Diagnostics collected over a whole run, so one run reports every error.
class diagnostics {
 public:
  void error(source_location where, std::string message, std::string near = {});
  void warning(source_location where, std::string message, std::string near = {});
  const std::vector<diagnostic>& all() const { return items_; }
  bool has_errors() const;
  // Adds the diagnostics of `other` as they are (already escaped and capped there).
  void append(const diagnostics& other);

  // Never quote the text of `file` from now on (see the top of this file).
  void mark_private(const std::string& file);
  bool is_private(const std::string& file) const { return private_.contains(file); }

 private:
  void add(diagnostic d);

  struct tally {
    std::uint32_t shown = 0;
    std::uint64_t dropped = 0;
    std::size_t summary = SIZE_MAX;  // index in items_ of the "and N more" line, once there is one
  };
  void count_dropped(tally& t, const diagnostic& d, const std::string& what);

  std::vector<diagnostic> items_;
  std::set<std::string> private_;
  std::map<std::pair<std::string, std::string>, tally> per_kind_;  // (file, message)
  std::map<std::string, tally> per_file_;
};

// Thrown by synchronous start-up code (CLI, configuration) for input that cannot be used at all;
// main maps it to exit 3 (UNKNOWN).
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hc
