#pragma once
// The one way to include Boost.Asio: Boost 1.74's awaitable.hpp needs <utility> first.
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hc {
namespace asio = boost::asio;
}
