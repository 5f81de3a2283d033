#pragma once
// The one way to include Boost.Asio: Boost 1.74's awaitable.hpp needs <utility> first.
#include <utility>
// Boost 1.74 only finds C++20 coroutines on g++; clang 14 has them too (with libstdc++'s <coroutine>).
#if defined(__clang__) && __cplusplus >= 202002L && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif
// Coroutine frames come from the global operator new/delete, not from Boost 1.74's per-thread
// recycling allocator: g++ 12 inlines that allocator's operator new but not its operator delete and
// then reports -Wmismatched-new-delete at the end of every coroutine (a false positive). One
// malloc per frame costs nothing next to a network round trip, and ASan sees each frame. The
// setting changes awaitable_frame_base, so every file must see it: Asio comes in through here only.
#if defined(BOOST_ASIO_AWAITABLE_HPP) && !defined(BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING)
#error "boost/asio/awaitable.hpp was included before core/asio.hpp"
#endif
#ifndef BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING
#define BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING 1
#endif
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hc {
namespace asio = boost::asio;
}
