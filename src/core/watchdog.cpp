#include "core/watchdog.hpp"

#include <utility>

namespace hc {

namespace {

std::atomic<const char*> stage{"starting"};

}  // namespace

void mark_stage(const char* what) noexcept { stage.store(what, std::memory_order_release); }

const char* current_stage() noexcept { return stage.load(std::memory_order_acquire); }

watchdog::watchdog(clock::time_point fire_at, std::function<void()> on_expiry)
    : fire_at_(fire_at), on_expiry_(std::move(on_expiry)), thread_([this] { main_loop(); }) {}

watchdog::~watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool watchdog::claim_output() noexcept {
  if (!handoff_.claim(output_handoff::party::run)) return false;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  return true;
}

void watchdog::wait() {
  if (thread_.joinable()) thread_.join();
}

void watchdog::main_loop() {
  bool stopped = false;
  {
    std::unique_lock lock(mutex_);
    stopped = wake_.wait_until(lock, fire_at_, [this] { return stop_; });
  }
  if (stopped || !handoff_.claim(output_handoff::party::watchdog)) {
    outcome_.store(outcome::stood_down, std::memory_order_release);
    return;
  }
  try {
    on_expiry_();
  } catch (...) {
    // Nothing to report it to: the run's output is ours and the run will not write it.
  }
  outcome_.store(outcome::fired, std::memory_order_release);
}

}  // namespace hc
