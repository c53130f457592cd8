// ChangeBus against a real redis-server: delivery to every subscriber within a second, and a
// catch-up callback ("*") after the subscriber reconnects. Skipped when redis-server is absent.
#include "cluster/change_bus.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/redis_test_server.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;

  void Add(std::string_view what) {
    const std::scoped_lock lock(mu);
    got.emplace_back(what);
    cv.notify_all();
  }
  bool WaitFor(const std::string& what, milliseconds d) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, d, [&] { return std::ranges::find(got, what) != got.end(); });
  }
};

bool WaitSubscribed(const ChangeBus& bus) {
  const auto until = steady_clock::now() + std::chrono::seconds(5);
  while (!bus.subscribed() && steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  return bus.subscribed();
}

TEST(ChangeBus, DeliversToEveryInstanceAndCatchesUpAfterAnOutage) {
  if (!testing::HaveRedisServer()) {
    GTEST_SKIP() << "redis-server is not installed (/usr/bin/redis-server)";
  }
  testing::TestRedisServer server;
  ASSERT_EQ(server.Start(), "");
  // Declared before the buses: their threads call into the inboxes until the buses are gone.
  Inbox inbox_a;
  Inbox inbox_b;
  ChangeBusOptions options;
  options.url = server.url();
  auto a = ChangeBus::Create(options);
  auto b = ChangeBus::Create(options);
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->Subscribe([&](std::string_view w) { inbox_a.Add(w); });
  (*b)->Subscribe([&](std::string_view w) { inbox_b.Add(w); });
  ASSERT_TRUE(WaitSubscribed(**a) && WaitSubscribed(**b));

  const auto start = steady_clock::now();
  ASSERT_TRUE((*a)->Publish("keys").ok());
  EXPECT_TRUE(inbox_b.WaitFor("keys", milliseconds(1000)));
  EXPECT_TRUE(inbox_a.WaitFor("keys", milliseconds(1000)));
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));

  // Another key prefix is another channel.
  ChangeBusOptions other = options;
  other.key_prefix = "other:";
  auto c = ChangeBus::Create(other);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Publish("teams").ok());
  EXPECT_FALSE(inbox_b.WaitFor("teams", milliseconds(200)));

  // Redis restarts: publishing fails meanwhile; the subscriber comes back and calls "*" once.
  server.Stop();
  EXPECT_FALSE((*a)->Publish("keys").ok());
  ASSERT_EQ(server.Start(), "");
  EXPECT_TRUE(inbox_b.WaitFor("*", std::chrono::seconds(5)));
  ASSERT_TRUE(WaitSubscribed(**b));
  ASSERT_TRUE((*a)->Publish("teams").ok());
  EXPECT_TRUE(inbox_b.WaitFor("teams", milliseconds(1000)));
}

TEST(ChangeBus, BadUrl) {
  ChangeBusOptions options;
  options.url = "localhost:6379";
  EXPECT_FALSE(ChangeBus::Create(options).ok());
}

}  // namespace
}  // namespace baton
