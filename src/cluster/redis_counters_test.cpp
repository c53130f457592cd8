// RedisCounters beyond the shared contract (counters_contract_test.cpp): one round trip per
// Admit, the NOSCRIPT fallback, Redis going away (fail closed / open) and coming back, settles
// queued while it is down. Each test starts its own redis-server (skipped when it is absent).
#include "cluster/redis_counters.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cluster/redis_test_server.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int64_t kT0 = 1'700'000'040'000;

class RedisCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveRedisServer()) {
      GTEST_SKIP() << "redis-server is not installed (/usr/bin/redis-server)";
    }
    ASSERT_EQ(server_.Start(), "");
  }

  std::unique_ptr<RedisCounters> Make(bool fail_open = false) {
    RedisCountersOptions o;
    o.url = server_.url();
    o.fail_open = fail_open;
    o.timeout = milliseconds(200);
    auto c = RedisCounters::Create(o);
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }

  Admission Admit(RedisCounters& c, const std::vector<LimitScope>& scopes, Money worst,
                  int64_t now_ms = kT0) {
    AdmitRequest r;
    r.scopes = scopes;
    r.worst_case = worst;
    r.tokens = 10;
    r.now_ms = now_ms;
    return testing::RunOn(ctx_, c.Admit(r));
  }

  static std::vector<LimitScope> Scopes() {
    LimitScope key;
    key.id = "key:k";
    key.rpm = 1000;
    key.tpm = 100000;
    key.budget = 1'000'000;
    LimitScope team;
    team.id = "team:t";
    team.budget = 5'000'000;
    team.period_end = (kT0 / 1000) + 3600;
    LimitScope global;
    global.id = "global";
    global.rpm = 5000;
    return {key, team, global};
  }

  testing::TestRedisServer server_;
  boost::asio::io_context ctx_;
};

// Reads MONITOR lines until `quiet` passes with nothing new; returns the commands that came from
// clients (script-internal commands are tagged "lua" and not counted).
std::vector<std::string> ClientCommands(RedisBlocking& monitor, milliseconds quiet) {
  std::vector<std::string> out;
  for (;;) {
    auto got = monitor.Receive(quiet);
    if (!got.ok() || got->timed_out) {
      return out;
    }
    const std::string& line = got->reply.str;
    if (line.find("[0 lua]") == std::string::npos && line != "OK") {
      out.push_back(line);
    }
  }
}

TEST_F(RedisCountersTest, OneRoundTripPerAdmit) {
  auto counters = Make();
  const auto scopes = Scopes();
  ASSERT_FALSE(Admit(*counters, scopes, 1000).refused);  // connection up, script loaded
  RedisBlocking monitor(server_.options());
  ASSERT_TRUE(monitor.Send(std::vector<std::string>{"MONITOR"}).ok());
  ClientCommands(monitor, milliseconds(100));  // the +OK
  constexpr int kAdmits = 20;
  for (int i = 0; i < kAdmits; ++i) {
    ASSERT_FALSE(Admit(*counters, scopes, 1000, kT0 + i).refused);
  }
  const std::vector<std::string> seen = ClientCommands(monitor, milliseconds(300));
  ASSERT_EQ(seen.size(), static_cast<size_t>(kAdmits));
  for (const std::string& line : seen) {
    EXPECT_NE(line.find("\"EVALSHA\""), std::string::npos) << line;
  }
}

TEST_F(RedisCountersTest, ScriptIsReloadedAfterScriptFlush) {
  auto counters = Make();
  const auto scopes = Scopes();
  ASSERT_FALSE(Admit(*counters, scopes, 1000).refused);
  RedisBlocking admin(server_.options());
  ASSERT_TRUE(admin.Command({"SCRIPT", "FLUSH"}).ok());
  Admission a = Admit(*counters, scopes, 1000);
  ASSERT_FALSE(a.refused) << a.refused->message;
  EXPECT_EQ(a.budgets.at(0).committed, 2000);
  // And the settle script too.
  ASSERT_TRUE(admin.Command({"SCRIPT", "FLUSH"}).ok());
  counters->Settle(a, 0, 10, kT0);
  ASSERT_TRUE(counters->FlushSettles(std::chrono::seconds(2)));
  auto usage = counters->Usage(scopes);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->at(0).committed, 1000);
  // Keys are where docs/cluster.md says, with the documented expiries.
  auto ttl = admin.Command({"PTTL", counters->WindowKey("key:k", 'r', kT0 / 60000)});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 100'000);
  EXPECT_LE(ttl->integer, 120'000);
  auto account_ttl = admin.Command({"TTL", counters->BudgetKey("key:k", 0)});
  EXPECT_EQ(account_ttl->integer, -1) << "period_end 0: never expires";
  auto team_ttl = admin.Command({"TTL", counters->BudgetKey("team:t", (kT0 / 1000) + 3600)});
  EXPECT_GT(team_ttl->integer, 0);
}

TEST_F(RedisCountersTest, FailsClosedWhileRedisIsDownAndRecovers) {
  auto counters = Make();
  const auto scopes = Scopes();
  ASSERT_FALSE(Admit(*counters, scopes, 1000).refused);
  server_.Stop();
  for (int i = 0; i < 3; ++i) {
    const auto start = steady_clock::now();
    Admission a = Admit(*counters, scopes, 1000);
    EXPECT_LT(steady_clock::now() - start, milliseconds(450));
    ASSERT_TRUE(a.refused);
    EXPECT_EQ(a.refused->kind, ErrorKind::kUnavailable);
    EXPECT_EQ(a.refused->code, "counters_unavailable");
    EXPECT_FALSE(a.open);
  }
  ASSERT_EQ(server_.Start(), "");  // empty: the accounts restart at period_spend
  const auto until = steady_clock::now() + std::chrono::seconds(5);
  Admission a;
  do {
    std::this_thread::sleep_for(milliseconds(50));
    a = Admit(*counters, scopes, 1000);
  } while (a.refused && steady_clock::now() < until);
  ASSERT_FALSE(a.refused) << a.refused->message;
  EXPECT_EQ(a.budgets.at(0).committed, 1000);
}

TEST_F(RedisCountersTest, FailsOpenWhenConfigured) {
  auto counters = Make(/*fail_open=*/true);
  const auto scopes = Scopes();
  server_.Stop();
  Admission a = Admit(*counters, scopes, 1000);
  EXPECT_FALSE(a.refused);
  EXPECT_TRUE(a.open);
  counters->Settle(a, 500, 10, kT0);  // ignored
  EXPECT_TRUE(counters->FlushSettles(milliseconds(10)));
}

TEST_F(RedisCountersTest, SettlesWaitForRedisToComeBack) {
  auto counters = Make();
  const auto scopes = Scopes();
  Admission a = Admit(*counters, scopes, 1000);
  ASSERT_FALSE(a.refused);
  // Redis goes down (its data saved first, so the restart keeps the accounts).
  RedisBlocking admin(server_.options());
  ASSERT_TRUE(admin.Command({"SAVE"}).ok());
  server_.Stop();
  counters->Settle(a, 250, 10, kT0);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(counters->FlushSettles(milliseconds(1))) << "still waiting for Redis";
  ASSERT_EQ(server_.Start(), "");
  ASSERT_TRUE(counters->FlushSettles(std::chrono::seconds(5)));
  auto usage = counters->Usage(scopes);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->at(0).committed, 250);
  EXPECT_EQ(usage->at(1).committed, 250);
}

TEST_F(RedisCountersTest, BadUrlIsRefusedWithoutThePassword) {
  RedisCountersOptions o;
  o.url = "rediss://:pa55word@host";
  auto c = RedisCounters::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.find("pa55word"), std::string::npos);
}

TEST(WindowMath, EstimateAndRetryAfter) {
  EXPECT_DOUBLE_EQ(WindowEstimate(2, 4, kT0 + 30'000), 4.0);  // 4 * 0.5 + 2
  EXPECT_EQ(WindowRetryAfterMs(0, 0, kT0, 1, 5), 0);
  // 5 of 5 in this minute: fits again once 1 - y/60000 <= 4/5, i.e. 12 s into the next minute.
  EXPECT_EQ(WindowRetryAfterMs(5, 0, kT0 + 10'000, 1, 5), 50'000 + 12'000);
  // previous 10, current 0, limit 5 at f = 0: wait until 10 * (1 - f) <= 4 → f = 0.6.
  EXPECT_EQ(WindowRetryAfterMs(0, 10, kT0, 1, 5), 36'000);
  // Over the limit on its own: never fits; bounded.
  EXPECT_LE(WindowRetryAfterMs(0, 0, kT0, 10, 5), 120'000);
}

}  // namespace
}  // namespace baton
