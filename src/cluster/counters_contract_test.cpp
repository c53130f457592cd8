// The Counters contract (money/counters.hpp): every implementation runs these cases. A backend is
// a factory returning a fresh, empty Counters (plus a way to wait for queued settles). To add one
// (LocalCounters), append it to Backends() below. The Redis backend shares one throwaway
// redis-server per test binary and gives each test its own key prefix; it is skipped when
// /usr/bin/redis-server is absent.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cluster/redis_counters.hpp"
#include "cluster/redis_test_server.hpp"
#include "money/counters.hpp"
#include "money/local_counters.hpp"

namespace baton {
namespace {

struct CountersUnderTest {
  std::unique_ptr<Counters> counters;
  std::function<void()> flush = [] {};  // waits until every Settle so far is applied
  std::string skip;                     // set: the backend cannot run here
};

struct CountersBackend {
  std::string name;
  std::function<CountersUnderTest()> make;
};

CountersUnderTest MakeRedis() {
  // One server for the whole test binary, killed at exit.
  static testing::TestRedisServer server_instance;
  static testing::TestRedisServer* server = nullptr;
  static std::string start_error;
  static std::atomic<int> counter{0};
  CountersUnderTest out;
  if (!testing::HaveRedisServer()) {
    out.skip = "redis-server is not installed (/usr/bin/redis-server)";
    return out;
  }
  if (server == nullptr) {
    server = &server_instance;
    start_error = server->Start();
  }
  if (!start_error.empty()) {
    out.skip = start_error;
    return out;
  }
  RedisCountersOptions options;
  options.url = server->url();
  options.key_prefix = "contract" + std::to_string(counter++) + ":";
  options.timeout = std::chrono::milliseconds(2000);  // a loaded test machine is not a dead Redis
  auto created = RedisCounters::Create(options);
  if (!created.ok()) {
    out.skip = created.error().message;
    return out;
  }
  RedisCounters* raw = created.value().get();
  out.counters = std::move(created).value();
  out.flush = [raw] { raw->FlushSettles(std::chrono::seconds(5)); };
  return out;
}

CountersUnderTest MakeLocal() {
  CountersUnderTest out;
  out.counters = std::make_unique<LocalCounters>();
  return out;
}

std::vector<CountersBackend> Backends() {
  return {
      {"Local", MakeLocal},
      {"Redis", MakeRedis},
  };
}

// A unix millisecond at the start of a minute, for readable window arithmetic.
constexpr int64_t kT0 = 1'700'000'040'000;  // divisible by 60000
static_assert(kT0 % 60'000 == 0);

class CountersContract : public ::testing::TestWithParam<CountersBackend> {
 protected:
  void SetUp() override {
    under_ = GetParam().make();
    if (!under_.skip.empty()) {
      GTEST_SKIP() << under_.skip;
    }
  }

  Admission Admit(std::vector<LimitScope> scopes, Money worst_case, int64_t tokens,
                  int64_t now_ms) {
    AdmitRequest request;
    request.scopes = scopes;
    request.worst_case = worst_case;
    request.tokens = tokens;
    request.now_ms = now_ms;
    return testing::RunOn(ctx_, under_.counters->Admit(request));
  }

  Money Committed(const LimitScope& scope) {
    under_.flush();
    auto usage = under_.counters->Usage(std::span<const LimitScope>(&scope, 1));
    EXPECT_TRUE(usage.ok());
    if (!usage.ok() || usage->empty()) {
      return -1;
    }
    return usage->front().committed;
  }

  boost::asio::io_context ctx_;
  CountersUnderTest under_;
};

LimitScope Rpm(std::string id, int64_t rpm) {
  LimitScope s;
  s.id = std::move(id);
  s.rpm = rpm;
  return s;
}
LimitScope Tpm(std::string id, int64_t tpm) {
  LimitScope s;
  s.id = std::move(id);
  s.tpm = tpm;
  return s;
}
LimitScope Budget(std::string id, Money budget, int64_t period_end = 0, Money period_spend = 0) {
  LimitScope s;
  s.id = std::move(id);
  s.budget = budget;
  s.period_end = period_end;
  s.period_spend = period_spend;
  return s;
}

TEST_P(CountersContract, RpmWindowFillsAndRefusesWithRetryAfter) {
  const LimitScope key = Rpm("key:abc123", 3);
  for (int i = 0; i < 3; ++i) {
    Admission a = Admit({key}, 0, 0, kT0 + 1000 + i);
    ASSERT_FALSE(a.refused) << i << ": " << a.refused->message;
    EXPECT_EQ(a.rate.limit_requests, 3);
    EXPECT_EQ(a.rate.remaining_requests, 2 - i);
  }
  Admission refused = Admit({key}, 0, 0, kT0 + 2000);
  ASSERT_TRUE(refused.refused);
  EXPECT_EQ(refused.refused->kind, ErrorKind::kRateLimited);
  EXPECT_EQ(refused.refused->code, "rate_limit_exceeded");
  EXPECT_NE(refused.refused->message.find("key"), std::string::npos);
  EXPECT_EQ(refused.refused->message.find("abc123"), std::string::npos) << "never a key hash";
  EXPECT_GT(refused.retry_after_ms, 0);
  EXPECT_LE(refused.retry_after_ms, 120'000);
  // The next minute: the previous minute's 3 weigh (1 - f); at f = 0.5 that is 1.5 → one fits.
  EXPECT_FALSE(Admit({key}, 0, 0, kT0 + 60'000 + 30'000).refused);
  EXPECT_TRUE(Admit({key}, 0, 0, kT0 + 60'000 + 30'001).refused);  // 1.5 + 1 + 1 > 3
  // Two minutes later nothing is left.
  EXPECT_FALSE(Admit({key}, 0, 0, kT0 + 180'000).refused);
}

TEST_P(CountersContract, TpmCountsTokensAndSettleCorrectsThem) {
  const LimitScope key = Tpm("key:t", 1000);
  Admission first = Admit({key}, 0, 600, kT0 + 10);
  ASSERT_FALSE(first.refused);
  EXPECT_EQ(first.rate.limit_tokens, 1000);
  EXPECT_EQ(first.rate.remaining_tokens, 400);
  EXPECT_TRUE(Admit({key}, 0, 600, kT0 + 20).refused);
  // The request used only 100 tokens: 500 are given back to the current minute.
  under_.counters->Settle(first, 0, 100, kT0 + 30);
  under_.flush();
  EXPECT_FALSE(Admit({key}, 0, 600, kT0 + 40).refused);  // 100 + 600 <= 1000
  EXPECT_TRUE(Admit({key}, 0, 400, kT0 + 50).refused);   // 700 + 400 > 1000
}

TEST_P(CountersContract, BudgetReservesAndRefusesPastHardStop) {
  const LimitScope key = Budget("key:b", 1000);
  Admission a1 = Admit({key}, 400, 0, kT0);
  ASSERT_FALSE(a1.refused);
  ASSERT_EQ(a1.budgets.size(), 1U);
  EXPECT_EQ(a1.budgets[0].scope, "key:b");
  EXPECT_EQ(a1.budgets[0].committed, 400);
  EXPECT_EQ(a1.budgets[0].budget, 1000);
  EXPECT_EQ(a1.reserved, 400);
  Admission a2 = Admit({key}, 400, 0, kT0);
  ASSERT_FALSE(a2.refused);
  EXPECT_EQ(a2.budgets[0].committed, 800);
  Admission a3 = Admit({key}, 400, 0, kT0);
  ASSERT_TRUE(a3.refused);
  EXPECT_EQ(a3.refused->kind, ErrorKind::kRateLimited);
  EXPECT_EQ(a3.refused->code, "budget_exceeded");
  EXPECT_NE(a3.refused->message.find("the budget is $"), std::string::npos);
  ASSERT_TRUE(a3.refused_budget);
  EXPECT_EQ(ScopeKind(a3.refused_budget->scope), "key");  // baton_budget_refusals_total{scope}
  EXPECT_EQ(a3.refused_budget->committed, 800);
  EXPECT_EQ(Committed(key), 800);
  // Exactly up to the budget passes.
  EXPECT_FALSE(Admit({key}, 200, 0, kT0).refused);
  EXPECT_EQ(Committed(key), 1000);
}

TEST_P(CountersContract, SoftBudgetCountsButDoesNotRefuse) {
  LimitScope key = Budget("key:soft", 1000);
  key.hard_stop = false;
  EXPECT_FALSE(Admit({key}, 700, 0, kT0).refused);
  Admission a = Admit({key}, 700, 0, kT0);
  ASSERT_FALSE(a.refused);
  EXPECT_EQ(a.budgets[0].committed, 1400);
}

TEST_P(CountersContract, SettleReplacesTheReservation) {
  const LimitScope key = Budget("key:s", 1000);
  Admission a = Admit({key}, 400, 0, kT0);
  ASSERT_FALSE(a.refused);
  under_.counters->Settle(a, 150, 0, kT0 + 5);
  EXPECT_EQ(Committed(key), 150);
  Admission b = Admit({key}, 400, 0, kT0 + 10);
  ASSERT_FALSE(b.refused);
  under_.counters->Settle(b, 900, 0, kT0 + 20);  // cost above the estimate: spend is what it is
  EXPECT_EQ(Committed(key), 1050);
  // Settling a refused admission does nothing.
  Admission refused = Admit({key}, 1, 0, kT0 + 30);
  ASSERT_TRUE(refused.refused);
  under_.counters->Settle(refused, 500, 0, kT0 + 40);
  EXPECT_EQ(Committed(key), 1050);
}

TEST_P(CountersContract, AllOrNothing) {
  const LimitScope key_budget = Budget("key:k", 1000);
  const LimitScope team_rpm = Rpm("team:t", 1);
  ASSERT_FALSE(Admit({Rpm("team:t", 1)}, 0, 0, kT0).refused);  // fills the team's window
  Admission a = Admit({key_budget, team_rpm}, 400, 0, kT0 + 1);
  ASSERT_TRUE(a.refused);
  EXPECT_EQ(a.refused->code, "rate_limit_exceeded");
  EXPECT_NE(a.refused->message.find("team"), std::string::npos);
  EXPECT_EQ(Committed(key_budget), 0) << "the key's budget was not touched";
  // A budget refusal leaves the windows untouched.
  const LimitScope key_rpm = Rpm("key:r", 2);
  const LimitScope team_budget = Budget("team:b", 100);
  EXPECT_TRUE(Admit({key_rpm, team_budget}, 400, 0, kT0 + 2).refused);
  EXPECT_TRUE(Admit({key_rpm, team_budget}, 400, 0, kT0 + 3).refused);
  Admission ok = Admit({key_rpm}, 0, 0, kT0 + 4);
  ASSERT_FALSE(ok.refused);
  EXPECT_EQ(ok.rate.remaining_requests, 1);
}

TEST_P(CountersContract, NewAccountStartsAtPeriodSpendAndRollsOver) {
  const int64_t end1 = (kT0 / 1000) + 3600;
  const LimitScope p1 = Budget("team:p", 1000, end1, 700);
  EXPECT_EQ(Committed(p1), 700);
  EXPECT_TRUE(Admit({p1}, 400, 0, kT0).refused);
  EXPECT_EQ(Committed(p1), 700);
  ASSERT_FALSE(Admit({p1}, 300, 0, kT0).refused);
  EXPECT_EQ(Committed(p1), 1000);
  // The period ends: a new period_end is a new account, starting at its period_spend.
  const LimitScope p2 = Budget("team:p", 1000, end1 + 86'400, 0);
  Admission a = Admit({p2}, 400, 0, kT0 + 3'600'000);
  ASSERT_FALSE(a.refused);
  EXPECT_EQ(a.budgets[0].committed, 400);
  EXPECT_EQ(Committed(p2), 400);
}

TEST_P(CountersContract, ResetBudgetForgetsEverything) {
  const LimitScope key = Budget("key:reset", 1000, 0, 600);
  ASSERT_FALSE(Admit({key}, 300, 0, kT0).refused);
  EXPECT_EQ(Committed(key), 900);
  ASSERT_TRUE(under_.counters->ResetBudget(key).ok());
  EXPECT_EQ(Committed(key), 0);
  EXPECT_FALSE(Admit({key}, 1000, 0, kT0).refused);
}

TEST_P(CountersContract, MoneyIsExactBeyondDoublePrecision) {
  // $50,000 budget = 5e16 pico > 2^53: a double would round these sums.
  const Money budget = 50'000 * kPicoPerUsd;
  const LimitScope g = Budget("global", budget, 0, budget - 1'000'000'000'007);
  Admission a = Admit({g}, 999'999'999'999, 0, kT0);
  ASSERT_FALSE(a.refused);
  EXPECT_EQ(a.budgets[0].committed, budget - 8);
  EXPECT_TRUE(Admit({g}, 9, 0, kT0).refused);
  Admission b = Admit({g}, 8, 0, kT0);
  ASSERT_FALSE(b.refused);
  EXPECT_EQ(b.budgets[0].committed, budget);
  under_.counters->Settle(a, 3, 0, kT0);
  EXPECT_EQ(Committed(g), budget - 999'999'999'996);
}

TEST_P(CountersContract, ConcurrentAdmitsNeverPassTheBudget) {
  // 200 requests from 2 threads whose worst cases add up to 5x the budget.
  const Money worst = 1'234'567'891;
  const LimitScope key = Budget("key:race", worst * 40);
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  const AdmitRequest request{std::span<const LimitScope>(&key, 1), worst, 0, kT0};
  auto worker = [&] {
    boost::asio::io_context ctx;
    int done = 0;
    for (int i = 0; i < 100; ++i) {
      boost::asio::co_spawn(ctx, under_.counters->Admit(request),
                            [&](const std::exception_ptr&, const Admission& a) {
                              (a.refused ? refused : admitted).fetch_add(1);
                              ++done;
                            });
    }
    while (done < 100 && ctx.run_one() > 0) {
    }
  };
  std::thread t1(worker);
  std::thread t2(worker);
  t1.join();
  t2.join();
  EXPECT_EQ(admitted.load(), 40);
  EXPECT_EQ(refused.load(), 160);
  EXPECT_EQ(Committed(key), worst * 40);
}

INSTANTIATE_TEST_SUITE_P(All, CountersContract, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<CountersBackend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace baton
