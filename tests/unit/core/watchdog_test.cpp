#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/watchdog.hpp"

using party = hc::output_handoff::party;
using hc::watchdog;

namespace {

// A fire time that has passed: the watchdog's thread fires as soon as it runs.
watchdog::clock::time_point past() { return watchdog::clock::now() - std::chrono::seconds(1); }
// One that no test reaches: only a claim or the destructor ends the watchdog's wait.
watchdog::clock::time_point far() { return watchdog::clock::now() + std::chrono::hours(1); }

}  // namespace

TEST_CASE("output_handoff: the first party to claim owns the output for good, the other never gets it") {
  hc::output_handoff h;
  CHECK(h.owner() == party::none);
  CHECK(h.claim(party::watchdog));
  CHECK(h.owner() == party::watchdog);
  CHECK_FALSE(h.claim(party::run));
  CHECK(h.claim(party::watchdog));  // asking again changes nothing
  CHECK(h.owner() == party::watchdog);

  hc::output_handoff g;
  CHECK(g.claim(party::run));
  CHECK_FALSE(g.claim(party::watchdog));
  CHECK(g.owner() == party::run);
}

TEST_CASE("output_handoff: two threads claiming at once, exactly one of them wins, every round") {
  for (int round = 0; round < 200; ++round) {
    hc::output_handoff h;
    std::atomic<bool> go{false};
    bool run_won = false, watchdog_won = false;
    std::thread a([&] {
      while (!go.load()) std::this_thread::yield();
      run_won = h.claim(party::run);
    });
    std::thread b([&] {
      while (!go.load()) std::this_thread::yield();
      watchdog_won = h.claim(party::watchdog);
    });
    go = true;
    a.join();
    b.join();
    CAPTURE(round);
    CHECK(run_won != watchdog_won);
    CHECK(h.owner() == (run_won ? party::run : party::watchdog));
  }
}

TEST_CASE("watchdog: past its time with the output unclaimed, it takes the output and the run's claim fails") {
  std::promise<void> fired;
  int calls = 0;
  watchdog w(past(), [&] {
    ++calls;
    fired.set_value();
  });
  fired.get_future().wait();
  CHECK_FALSE(w.claim_output());  // the run must write nothing
  w.wait();
  CHECK(calls == 1);
  CHECK(w.result() == watchdog::outcome::fired);
}

TEST_CASE("watchdog: once the run has claimed the output it stands down at once and never fires") {
  int calls = 0;
  watchdog w(far(), [&] { ++calls; });
  CHECK(w.claim_output());
  CHECK(w.claim_output());  // the run keeps it
  w.wait();                 // ends now, not in an hour
  CHECK(calls == 0);
  CHECK(w.result() == watchdog::outcome::stood_down);
}

TEST_CASE("watchdog: destroyed while armed, it stands down without firing") {
  int calls = 0;
  { watchdog w(far(), [&] { ++calls; }); }
  CHECK(calls == 0);
}

TEST_CASE("watchdog: an exception from its report is swallowed, and the output stays its own") {
  std::promise<void> fired;
  watchdog w(past(), [&] {
    fired.set_value();
    throw std::runtime_error("cannot write");
  });
  fired.get_future().wait();
  w.wait();
  CHECK(w.result() == watchdog::outcome::fired);
  CHECK_FALSE(w.claim_output());
}

TEST_CASE("mark_stage: the stage last marked is the one the watchdog reports") {
  hc::mark_stage("reading NAT rules");
  CHECK(std::string(hc::current_stage()) == "reading NAT rules");
  hc::mark_stage("probing");
  CHECK(std::string(hc::current_stage()) == "probing");
}
