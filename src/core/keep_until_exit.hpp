#pragma once
// What a process about to exit hands over instead of freeing: the kernel takes the pages back at
// once, while freeing 10^5 rules or a 1M-name zone node by node costs up to a tenth of the run
// (clang's -disable-free does the same for its AST). The command line's one-shot run uses it for
// its inputs and its result; nothing else should.
//
// The pointers stay in a global array, so a leak checker (LSan) sees the objects as reachable. Past
// the array's room an object is freed as usual. Only plain data may be kept this way: a destructor
// with an effect outside the process (a file removed, a socket shut down) would not run.

#include <atomic>
#include <cstddef>
#include <memory>

namespace hc {

namespace detail {
inline void* kept_until_exit[16];
inline std::atomic<std::size_t> kept_until_exit_count{0};
}  // namespace detail

template <class T>
void keep_until_exit(std::unique_ptr<T> p) {
  if (!p) return;
  std::size_t i = detail::kept_until_exit_count.fetch_add(1);
  if (i < std::size(detail::kept_until_exit)) detail::kept_until_exit[i] = p.release();
}

}  // namespace hc
