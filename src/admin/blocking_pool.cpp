// Why co_spawn: a plain `co_await post(pool, use_awaitable)` would complete on the awaiting
// coroutine's executor (the handler's associated executor), i.e. the function would run on the
// io thread after all. co_spawn starts a coroutine of its own on the pool's executor and
// completes the awaiting one on its executor.
#include "admin/blocking_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace baton {

namespace asio = boost::asio;

struct BlockingPool::Impl {
  explicit Impl(std::size_t threads) : pool(threads) {}
  asio::thread_pool pool;
};

namespace {

// A free coroutine (g++ 12: no capturing lambda coroutines).
Awaitable<void> CallOnPool(std::function<void()> fn) {
  fn();
  co_return;
}

}  // namespace

BlockingPool::BlockingPool(std::size_t threads)
    : impl_(std::make_unique<Impl>(threads == 0 ? 1 : threads)) {}

BlockingPool::~BlockingPool() {
  impl_->pool.join();
}

Awaitable<void> BlockingPool::Run(std::function<void()> fn) {
  co_await asio::co_spawn(impl_->pool.get_executor(), CallOnPool(std::move(fn)),
                          asio::use_awaitable);
}

}  // namespace baton
