#include "money/ledger.hpp"

#include <array>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr Money kUsd = kPicoPerUsd;

TEST(BudgetLedgerTest, ReservesWithinTheLimitAndRefusesBeyondIt) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 10 * kUsd);
  std::array<BudgetAccount*, 1> accounts{&key};
  auto first = ledger.Reserve(accounts, 6 * kUsd);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(key.committed(), 6 * kUsd);
  auto second = ledger.Reserve(accounts, 5 * kUsd);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(second.error().code, "budget_exceeded");
  EXPECT_NE(second.error().message.find("key:k1"), std::string::npos);
  EXPECT_NE(second.error().message.find("limit 10 USD"), std::string::npos);
  EXPECT_EQ(key.committed(), 6 * kUsd) << "a refused reservation leaves nothing behind";
  auto exact = ledger.Reserve(accounts, 4 * kUsd);
  EXPECT_TRUE(exact.ok()) << "up to the limit itself is allowed";
}

TEST(BudgetLedgerTest, AllOrNothingAcrossAccounts) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 100 * kUsd);
  BudgetAccount& team = ledger.Account("team:t", 3 * kUsd);
  std::array<BudgetAccount*, 2> accounts{&key, &team};
  auto r = ledger.Reserve(accounts, 4 * kUsd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("team:t"), std::string::npos);
  EXPECT_EQ(key.committed(), 0) << "the key's part was rolled back";
  EXPECT_EQ(team.committed(), 0);
}

TEST(BudgetLedgerTest, SettleReplacesTheReservationByTheRealCost) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 10 * kUsd);
  BudgetAccount& global = ledger.Account("global:daily", 0);  // unlimited, still counted
  std::array<BudgetAccount*, 2> accounts{&key, &global};
  auto r = ledger.Reserve(accounts, 5 * kUsd);
  ASSERT_TRUE(r.ok());
  r->Settle(kUsd / 4);
  EXPECT_EQ(key.committed(), kUsd / 4);
  EXPECT_EQ(key.spent(), kUsd / 4);
  EXPECT_EQ(global.spent(), kUsd / 4);
  EXPECT_FALSE(r->active());
  r->Settle(kUsd);  // a second settle is a no-op
  EXPECT_EQ(key.spent(), kUsd / 4);
}

TEST(BudgetLedgerTest, ADroppedReservationIsReleased) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 10 * kUsd);
  std::array<BudgetAccount*, 1> accounts{&key};
  {
    auto r = ledger.Reserve(accounts, 7 * kUsd);
    ASSERT_TRUE(r.ok());
    BudgetReservation moved = std::move(r).value();
    EXPECT_EQ(key.committed(), 7 * kUsd);
  }
  EXPECT_EQ(key.committed(), 0);
  EXPECT_EQ(key.spent(), 0);
}

TEST(BudgetLedgerTest, AnEstimateThatWasTooLowIsStillBilledInFull) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 10 * kUsd);
  std::array<BudgetAccount*, 1> accounts{&key};
  auto r = ledger.Reserve(accounts, 1 * kUsd);
  ASSERT_TRUE(r.ok());
  r->Settle(2 * kUsd);
  EXPECT_EQ(key.spent(), 2 * kUsd);
  EXPECT_EQ(key.committed(), 2 * kUsd);
}

TEST(BudgetLedgerTest, ResetSpendKeepsOpenReservations) {
  BudgetLedger ledger;
  BudgetAccount& key = ledger.Account("key:k1", 10 * kUsd);
  std::array<BudgetAccount*, 1> accounts{&key};
  auto settled = ledger.Reserve(accounts, 3 * kUsd);
  settled->Settle(3 * kUsd);
  auto open = ledger.Reserve(accounts, 2 * kUsd);
  ASSERT_TRUE(open.ok());
  BudgetLedger::ResetSpend(key);
  EXPECT_EQ(key.spent(), 0);
  EXPECT_EQ(key.committed(), 2 * kUsd);
  EXPECT_TRUE(ledger.Reserve(accounts, 8 * kUsd).ok());
}

TEST(BudgetLedgerTest, TheSameScopeIsTheSameAccount) {
  BudgetLedger ledger;
  EXPECT_EQ(&ledger.Account("team:t", kUsd), &ledger.Account("team:t", 5 * kUsd));
}

// The scenario in miniature: many concurrent requests whose worst cases add up to 5x the
// budget. Spend never passes the budget, every refusal left nothing behind, and what was settled
// is exactly the sum over the requests that got through.
TEST(BudgetLedgerTest, ConcurrentRequestsNeverOverspend) {
  BudgetLedger ledger;
  constexpr Money kBudget = 50 * kUsd;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  constexpr Money kWorstCase = 5 * kBudget / (kThreads * kPerThread);
  BudgetAccount& key = ledger.Account("key:k1", kBudget);
  BudgetAccount& team = ledger.Account("team:t", kBudget * 2);
  std::atomic<Money> billed{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      std::array<BudgetAccount*, 2> accounts{&key, &team};
      for (int i = 0; i < kPerThread; ++i) {
        auto r = ledger.Reserve(accounts, kWorstCase);
        if (!r.ok()) {
          refused.fetch_add(1);
          continue;
        }
        if (rng() % 10 == 0) {
          r->Release();  // failed before it was sent
          continue;
        }
        const Money actual = static_cast<Money>(rng() % static_cast<uint64_t>(kWorstCase + 1));
        r->Settle(actual);
        billed.fetch_add(actual);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_LE(key.spent(), kBudget);
  EXPECT_EQ(key.spent(), billed.load());
  EXPECT_EQ(team.spent(), billed.load());
  EXPECT_EQ(key.committed(), key.spent()) << "no reservation left open";
  EXPECT_GT(refused.load(), 0);
  EXPECT_GT(billed.load(), kBudget / 2) << "the budget was actually used";
}

}  // namespace
}  // namespace baton
