#pragma once
// The one way to include Boost.Asio: Boost 1.74's awaitable.hpp needs <utility> first.
#include <utility>
// Boost 1.74 only finds C++20 coroutines on g++; clang 14 has them too (with libstdc++'s <coroutine>).
#if defined(__clang__) && __cplusplus >= 202002L && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hc {
namespace asio = boost::asio;
}
