#pragma once
// HC_DEBUG_TIMING=1: how long each phase of a run took and the peak memory so far, on stderr (for
// benchmarks; see the man page). Costs nothing when the variable is not set.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace hc {

class phase_clock {
 public:
  // Prints the time since the previous lap (or since construction) under the name `what`.
  void lap(const char* what) {
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    std::fprintf(stderr, "timing: %-14s %8.4f s  peak %6ld MiB\n", what,
                 std::chrono::duration<double>(now - last_).count(), ru.ru_maxrss / 1024);
    last_ = now;
  }

 private:
  bool on_ = std::getenv("HC_DEBUG_TIMING") != nullptr;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace hc
