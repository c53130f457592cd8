#include "admin/blocking_pool.hpp"

#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace baton {
namespace {

struct Seen {
  std::thread::id before;
  std::thread::id inside;
  std::thread::id after;
  bool caught = false;
};

Awaitable<void> RunTwice(BlockingPool& pool, Seen& seen) {
  seen.before = std::this_thread::get_id();
  std::function<void()> fn = [&seen] { seen.inside = std::this_thread::get_id(); };
  co_await pool.Run(std::move(fn));
  seen.after = std::this_thread::get_id();
  std::function<void()> boom = [] { throw std::runtime_error("boom"); };
  try {
    co_await pool.Run(std::move(boom));
  } catch (const std::runtime_error&) {
    seen.caught = true;
  }
}

TEST(BlockingPoolTest, RunsOffTheIoThreadAndResumesOnIt) {
  BlockingPool pool(2);
  boost::asio::io_context io;
  Seen seen;
  boost::asio::co_spawn(io, RunTwice(pool, seen), boost::asio::detached);
  io.run();
  EXPECT_EQ(seen.before, std::this_thread::get_id());
  EXPECT_NE(seen.inside, std::thread::id());
  EXPECT_NE(seen.inside, seen.before);
  EXPECT_EQ(seen.after, seen.before);
  EXPECT_TRUE(seen.caught);
}

}  // namespace
}  // namespace baton
