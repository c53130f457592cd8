#include "money/local_counters.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr int64_t kT0 = 1'700'000'040'000;  // the start of a unix minute

LimitScope Rpm(std::string id, int64_t rpm) {
  LimitScope s;
  s.id = std::move(id);
  s.rpm = rpm;
  return s;
}

LimitScope Budget(std::string id, Money budget, int64_t period_end = 0, Money spent = 0) {
  LimitScope s;
  s.id = std::move(id);
  s.budget = budget;
  s.period_end = period_end;
  s.period_spend = spent;
  return s;
}

Admission Admit(LocalCounters& c, std::vector<LimitScope> scopes, int64_t now, Money worst = 0,
                int64_t tokens = 0) {
  AdmitRequest r;
  r.scopes = scopes;
  r.worst_case = worst;
  r.tokens = tokens;
  r.now_ms = now;
  return c.AdmitNow(r);
}

TEST(MinuteCountsTest, SlidingEstimateWeighsThePreviousMinute) {
  MinuteCounts w;
  w.Roll(60'000);
  w.current = 10;
  w.Roll(120'000 + 15'000);  // a quarter into the next minute
  EXPECT_EQ(w.previous, 10);
  EXPECT_EQ(w.current, 0);
  EXPECT_DOUBLE_EQ(w.Estimate(135'000), 7.5);
  w.Roll(240'000);  // a minute skipped: nothing left
  EXPECT_EQ(w.previous, 0);
  EXPECT_DOUBLE_EQ(w.Estimate(240'000), 0);
}

TEST(MinuteCountsTest, RetryAfterIsWhenTheEstimateHasRoom) {
  MinuteCounts w;
  w.Roll(60'000);
  w.current = 10;
  w.Roll(120'000);
  // 10 in the previous minute, limit 10: one more fits once 10 * (1 - f) <= 9, f = 0.1.
  EXPECT_EQ(w.RetryAfterMs(120'000, 1, 10), 6'000);
  w.current = 10;  // full in this minute too: wait for the next one and then 10 % of it
  EXPECT_EQ(w.RetryAfterMs(120'000, 1, 10), 60'000 + 6'000);
  EXPECT_EQ(w.RetryAfterMs(120'000, 1, 100), 0);
}

TEST(LocalCountersTest, RpmRefusesThe11thRequestWithRetryAfter) {
  LocalCounters c;
  for (int i = 0; i < 10; ++i) {
    auto a = Admit(c, {Rpm("key:abc", 10)}, kT0 + i);
    ASSERT_FALSE(a.refused) << i;
    EXPECT_EQ(a.rate.limit_requests, 10);
    EXPECT_EQ(a.rate.remaining_requests, 9 - i);
  }
  auto a = Admit(c, {Rpm("key:abc", 10)}, kT0 + 20);
  ASSERT_TRUE(a.refused);
  EXPECT_EQ(a.refused->kind, ErrorKind::kRateLimited);
  EXPECT_EQ(a.refused->code, "rate_limit_exceeded");
  EXPECT_NE(a.refused->message.find("this key: 10 requests per minute"), std::string::npos);
  EXPECT_EQ(a.refused->message.find("abc"), std::string::npos) << "no key hash in messages";
  EXPECT_GT(a.retry_after_ms, 0);
  // The window slides: 10 in the previous minute, 60 % of it past → 4 counted, 6 fit.
  const int64_t later = ((kT0 / 60'000) + 1) * 60'000 + 36'000;
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    admitted += Admit(c, {Rpm("key:abc", 10)}, later).refused ? 0 : 1;
  }
  EXPECT_EQ(admitted, 6);
}

TEST(LocalCountersTest, AllOrNothingAcrossScopes) {
  LocalCounters c;
  ASSERT_FALSE(Admit(c, {Rpm("team:t", 1)}, kT0).refused);
  // The key has room, the team not: the key's window must not count the refused request.
  auto refused = Admit(c, {Rpm("key:k", 2), Rpm("team:t", 1)}, kT0);
  ASSERT_TRUE(refused.refused);
  EXPECT_NE(refused.refused->message.find("this team"), std::string::npos);
  EXPECT_FALSE(Admit(c, {Rpm("key:k", 2)}, kT0).refused);
  EXPECT_FALSE(Admit(c, {Rpm("key:k", 2)}, kT0).refused);
  EXPECT_TRUE(Admit(c, {Rpm("key:k", 2)}, kT0).refused);
}

TEST(LocalCountersTest, TpmCountsTheEstimateAndSettleCorrectsIt) {
  LocalCounters c;
  LimitScope s;
  s.id = "model:smart";
  s.tpm = 1000;
  auto a = Admit(c, {s}, kT0, 0, 600);
  ASSERT_FALSE(a.refused);
  EXPECT_EQ(a.rate.remaining_tokens, 400);
  EXPECT_TRUE(Admit(c, {s}, kT0, 0, 600).refused);
  c.Settle(a, 0, 100, kT0);  // it really used 100
  EXPECT_FALSE(Admit(c, {s}, kT0, 0, 600).refused);
}

TEST(LocalCountersTest, BudgetReservesWorstCaseAndSettlesTheRealCost) {
  LocalCounters c;
  const Money usd = kPicoPerUsd;
  auto a = Admit(c, {Budget("key:k", 10 * usd)}, kT0, 6 * usd);
  ASSERT_FALSE(a.refused);
  ASSERT_EQ(a.budgets.size(), 1U);
  EXPECT_EQ(a.budgets[0].committed, 6 * usd);
  auto b = Admit(c, {Budget("key:k", 10 * usd)}, kT0, 6 * usd);
  ASSERT_TRUE(b.refused);
  EXPECT_EQ(b.refused->code, "budget_exceeded");
  EXPECT_NE(b.refused->message.find("budget is $10,"), std::string::npos) << b.refused->message;
  c.Settle(a, 1 * usd, 0, kT0);
  auto usage = c.Usage(std::vector<LimitScope>{Budget("key:k", 10 * usd)});
  ASSERT_TRUE(usage);
  EXPECT_EQ((*usage)[0].committed, 1 * usd);
  EXPECT_FALSE(Admit(c, {Budget("key:k", 10 * usd)}, kT0, 6 * usd).refused);
}

TEST(LocalCountersTest, BudgetStartsAtTheStoresSpendAndANewPeriodStartsAgain) {
  LocalCounters c;
  const Money usd = kPicoPerUsd;
  EXPECT_TRUE(Admit(c, {Budget("key:k", 10 * usd, 1000, 9 * usd)}, kT0, 2 * usd).refused);
  // The period ended: the next table names the new period with its spend (0).
  EXPECT_FALSE(Admit(c, {Budget("key:k", 10 * usd, 2000, 0)}, kT0, 2 * usd).refused);
  // A request still built from the old table does not move the account back.
  auto stale = Admit(c, {Budget("key:k", 10 * usd, 1000, 9 * usd)}, kT0, 2 * usd);
  ASSERT_FALSE(stale.refused);
  EXPECT_EQ(stale.budgets[0].committed, 4 * usd);
}

TEST(LocalCountersTest, SoftBudgetCountsButDoesNotRefuse) {
  LocalCounters c;
  LimitScope s = Budget("global", 1);
  s.hard_stop = false;
  auto a = Admit(c, {s}, kT0, 5);
  ASSERT_FALSE(a.refused);
  EXPECT_EQ(a.budgets[0].committed, 5);
}

TEST(LocalCountersTest, ResetBudgetStartsTheAccountAtZero) {
  LocalCounters c;
  const Money usd = kPicoPerUsd;
  ASSERT_FALSE(Admit(c, {Budget("team:t", 10 * usd)}, kT0, 10 * usd).refused);
  EXPECT_TRUE(Admit(c, {Budget("team:t", 10 * usd)}, kT0, 1).refused);
  ASSERT_TRUE(c.ResetBudget(Budget("team:t", 10 * usd)));
  EXPECT_FALSE(Admit(c, {Budget("team:t", 10 * usd)}, kT0, 10 * usd).refused);
}

TEST(LocalCountersTest, ConcurrentReservationsNeverPassTheBudget) {
  LocalCounters c;
  const Money budget = 1000;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        auto a = Admit(c, {Budget("key:k", budget)}, kT0, 7);
        if (!a.refused) {
          admitted.fetch_add(1);
          c.Settle(a, 5, 0, kT0);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto usage = c.Usage(std::vector<LimitScope>{Budget("key:k", budget)});
  ASSERT_TRUE(usage);
  EXPECT_LE((*usage)[0].committed, budget);
  EXPECT_EQ((*usage)[0].committed, admitted.load() * 5);
  // Each admission needs 7 of room, each settles at 5: the last one admitted left < 7.
  EXPECT_GT((*usage)[0].committed, budget - 7);
}

}  // namespace
}  // namespace baton
