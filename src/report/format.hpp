#pragma once
// Helpers shared by the output writers (internal to src/report).

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hc::report::detail {

// Fixed notation with at most `decimals` decimals, trailing zeros removed: 0.012, 1, -3.5.
// Never scientific; NaN and infinities print as "0".
std::string fixed(double value, int decimals = 6);

// Seconds rounded to the microsecond, for JSON.
double round_us(double seconds);

// The findings of a run as pointers, the compact ones rendered and held here (for_each_finding).
class finding_list {
 public:
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const finding* operator[](std::size_t i) const { return items_[i]; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  friend finding_list sorted_findings(const run_result& result);
  std::vector<const finding*> items_;
  std::deque<finding> held_;  // rendered compact findings (stable addresses)
};

// Findings ordered by severity (worst first), then kind, keeping input order otherwise.
finding_list sorted_findings(const run_result& result);

// Count of findings per severity.
std::size_t count(const run_result& result, severity s);

// "2026-11-28T02:45:00Z" from unix time.
std::string iso8601_utc(std::int64_t unix_time);

// Replaces control characters (newline, tab, ...) with a space.
std::string one_line(std::string_view text);

// Valid UTF-8: every byte that does not start a well-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence; appends "..." when cut.
std::string truncate_utf8(std::string_view text, std::size_t max);

// Whole days from `now` until `not_after` (rounded down; negative when expired).
long long days_left(std::int64_t not_after, std::int64_t now);

}  // namespace hc::report::detail
