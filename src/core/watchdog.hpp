#pragma once
// The run's watchdog, after the monitoring-plugins convention (alarm() and timeout_alarm_handler's
// "Plugin timed out"): when the run's deadline (-t) has passed by a grace and the run has not yet
// started to write its output, the watchdog writes an UNKNOWN report instead and ends the process.
// Exactly one of the two ever writes: each claims the output through one atomic handoff first.
// The stage marker says what the run was doing, for that report.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hc {

// How long after the run's deadline (-t) the watchdog takes over: the probes stop at the deadline
// and their event loop 0.3 s after it at the latest, which leaves the run 0.7 s to judge, sort and
// start writing. docs/reliability.md documents it.
inline constexpr std::chrono::milliseconds watchdog_grace{1000};

// What the run is doing now, in words that follow "while" ("reading NAT rules"). `what` must be a
// string literal (or live as long as the process): only the pointer is kept, in one atomic store,
// so marking a stage costs nothing. Process-wide, like the alarm it stands for.
void mark_stage(const char* what) noexcept;

// The stage last marked ("starting" before any).
const char* current_stage() noexcept;

// Who writes a run's output. The first party to claim it owns it for good; the other never writes.
class output_handoff {
 public:
  enum class party { none, run, watchdog };

  // True when `who` owns the output (it claimed it now or before), false when the other party does.
  bool claim(party who) noexcept {
    party expected = party::none;
    return owner_.compare_exchange_strong(expected, who, std::memory_order_acq_rel) || expected == who;
  }

  // The owner so far (none: nobody has claimed it yet).
  party owner() const noexcept { return owner_.load(std::memory_order_acquire); }

 private:
  std::atomic<party> owner_{party::none};
};

// A thread that waits for `fire_at`. If the run has not claimed its output by then, the watchdog
// claims it and calls `on_expiry` on its own thread; in the program that writes the UNKNOWN report
// and calls _exit, so it never returns. An exception from on_expiry is swallowed.
class watchdog {
 public:
  using clock = std::chrono::steady_clock;
  enum class outcome { pending, fired, stood_down };

  // Arms the watchdog: starts its thread. Throws std::system_error when no thread can be started.
  watchdog(clock::time_point fire_at, std::function<void()> on_expiry);
  // Stands the watchdog down (if it has not fired) and joins its thread.
  ~watchdog();
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  // The run's side of the handoff. True: the run writes its output, and the watchdog stands down
  // (its thread ends at once). False: the watchdog has the output; the run writes nothing and
  // calls wait(), which in the program never returns.
  bool claim_output() noexcept;

  // Waits until the watchdog's thread has ended: at fire_at (after on_expiry returns), or at once
  // after a successful claim_output.
  void wait();

  // How the thread ended: fired (on_expiry ran), stood_down (the run had claimed the output), or
  // pending while it still waits.
  outcome result() const noexcept { return outcome_.load(std::memory_order_acquire); }

 private:
  void main_loop();

  clock::time_point fire_at_;
  std::function<void()> on_expiry_;
  output_handoff handoff_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::atomic<outcome> outcome_{outcome::pending};
  std::thread thread_;  // last: started once everything above is set
};

}  // namespace hc
