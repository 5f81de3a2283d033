#pragma once
// Hand-made run results for the output writers' golden files and the real-tool tests.

#include <string>
#include <vector>

#include "core/result.hpp"

namespace hc::report::samples {

// Unix time every sample finished at: 2026-11-28T02:45:00Z.
inline constexpr std::int64_t finished_at = 1795833900;

run_result all_ok();        // live checks all through (two differ only by type, A and AAAA), one info finding
run_result warnings();      // warnings only: extra-only, stale-zone, cert-expiry
run_result critical();      // criticals with evidence and fix, a failed check, notes
run_result unknown();       // config-error: named.conf cannot be read
run_result static_mode();   // --static: no checks at all
run_result special_chars(); // quotes, backslashes, newlines, '|', '=', UTF-8 in names and texts
// A random model from `seed`: hostile strings (control bytes, invalid UTF-8, quotes), NaN and
// infinite durations, extreme certificate dates, colliding label sets.
run_result hostile(unsigned seed);

// Name → sample, for the golden tests and the tools driver.
struct named_sample {
  const char* name;
  run_result (*make)();
};
const std::vector<named_sample>& all();

}  // namespace hc::report::samples
