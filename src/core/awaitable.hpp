// The coroutine type of every asynchronous function in Baton (Asio's awaitable), under a short
// name, without pulling in the rest of Asio.
#pragma once

#include <boost/asio/awaitable.hpp>

namespace baton {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

}  // namespace baton
