#include <doctest/doctest.h>

#include <memory>

#include "core/keep_until_exit.hpp"

namespace {

struct counted {
  int* destroyed;
  explicit counted(int* d) : destroyed(d) {}
  ~counted() { ++*destroyed; }
};

}  // namespace

// What a process about to exit hands over is not destroyed (the kernel takes the pages at exit), it
// stays reachable from the global array (LSan counts it as in use, the ASan build checks that), and
// past the array's room an object is destroyed at once, as if it had not been handed over.
TEST_CASE("keep_until_exit: kept objects are not destroyed and stay reachable; past the room they are") {
  int destroyed = 0;
  const std::size_t room = std::size(hc::detail::kept_until_exit);
  const std::size_t before = hc::detail::kept_until_exit_count.load();
  REQUIRE(before < room);
  hc::keep_until_exit(std::unique_ptr<counted>());  // nothing to keep: takes no room
  CHECK(hc::detail::kept_until_exit_count.load() == before);
  const std::size_t free_room = room - before;
  for (std::size_t i = 0; i < free_room; ++i) hc::keep_until_exit(std::make_unique<counted>(&destroyed));
  CHECK(destroyed == 0);
  auto* last = static_cast<counted*>(hc::detail::kept_until_exit[room - 1]);
  REQUIRE(last != nullptr);
  CHECK(last->destroyed == &destroyed);
  hc::keep_until_exit(std::make_unique<counted>(&destroyed));
  CHECK(destroyed == 1);
  hc::keep_until_exit(std::make_unique<counted>(&destroyed));
  CHECK(destroyed == 2);
}
