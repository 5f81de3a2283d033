#pragma once
// Where a configuration element came from, and the errors found while reading it.

#include <cstdint>
#include <stdexcept>
#include <string>
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
  std::string near;  // the offending token, empty when there is none
  bool is_error = true;

  // "file:line:col: message near 'token'" as BIND words it.
  std::string str() const;
};

// Diagnostics collected over a whole run, so one run reports every error.
class diagnostics {
 public:
  void error(source_location where, std::string message, std::string near = {});
  void warning(source_location where, std::string message, std::string near = {});
  const std::vector<diagnostic>& all() const { return items_; }
  bool has_errors() const;
  void append(const diagnostics& other);

 private:
  std::vector<diagnostic> items_;
};

// Thrown by synchronous start-up code (CLI, configuration) for input that cannot be used at all;
// main maps it to exit 3 (UNKNOWN).
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hc
