#pragma once
// Helpers shared by the output writers (internal to src/report).

#include <cstddef>
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

// The findings of a run in report order, the compact ones kept as references to their facts: a
// writer reads severity, kind, name and count of any of them without rendering it, and renders
// only the ones it prints (at), one at a time. 8 bytes per finding instead of a rendered copy.
class finding_list {
 public:
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  severity sev(std::size_t i) const;
  finding_kind kind(std::size_t i) const;
  // finding::name, without rendering.
  std::string_view name(std::size_t i) const;
  // finding::count (0 for a compact fact: it stands for its own name).
  std::size_t count(std::size_t i) const;
  // The finding itself when it is not a compact fact, else nullptr.
  const finding* plain(std::size_t i) const;
  // The finding at i as reported; a compact one rendered into storage held here, valid until the
  // next call of at.
  const finding& at(std::size_t i) const;

 private:
  friend finding_list sorted_findings(const run_result& result);
  severity sev_of(std::size_t item) const;
  finding_kind kind_of(std::size_t item) const;
  static constexpr std::size_t compact_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 1);
  const run_result* run_ = nullptr;
  std::vector<std::size_t> items_;  // an index into run_->findings, or compact_bit | an index into its facts
  mutable finding scratch_;
};

// Findings ordered by severity (worst first), then kind, keeping input order otherwise; the compact
// facts merged in by report_order (as for_each_finding does), rendered only to break a tie of
// severity, kind, name and zone with a finding.
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
