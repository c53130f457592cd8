#include "asio/sleep.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace baton {

Awaitable<void> SleepUntil(std::chrono::steady_clock::time_point until) {
  if (until <= std::chrono::steady_clock::now()) {
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, until);
  // A cancelled wait (shutdown) simply ends the sleep early.
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace baton
