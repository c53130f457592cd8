#include "pipeline/limits.hpp"

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr int64_t kNow = 1'764'547'200 + 3600;  // 2025-12-01T01:00:00Z

TEST(EpochPeriodEndTest, FixedDurationsAndCalendarMonths) {
  EXPECT_EQ(EpochPeriodEnd("1d", kNow), 1'764'547'200 + 86'400);
  EXPECT_EQ(EpochPeriodEnd("30s", 95), 120);
  EXPECT_EQ(EpochPeriodEnd("12h", 0), 43'200);
  EXPECT_EQ(EpochPeriodEnd("1mo", kNow), 1'767'225'600);  // 2026-01-01
  EXPECT_EQ(EpochPeriodEnd("3mo", kNow), 1'767'225'600);  // quarters from 1970: Oct–Dec 2025
  EXPECT_EQ(EpochPeriodEnd("2mo", kNow), 1'767'225'600);  // Nov–Dec
  EXPECT_EQ(EpochPeriodEnd("12mo", kNow), 1'767'225'600);
  EXPECT_EQ(EpochPeriodEnd("bogus", kNow), 0);
  EXPECT_EQ(EpochPeriodStart("1d", kNow), 1'764'547'200);
  EXPECT_EQ(EpochPeriodStart("1mo", kNow), 1'764'547'200);  // 2025-12-01
  EXPECT_EQ(EpochPeriodStart("3mo", kNow), 1'759'276'800);  // 2025-10-01
  EXPECT_EQ(EpochPeriodStart("30s", 95), 90);
}

Route RouteNamed(std::string name, int64_t rpm = 0, int64_t tpm = 0) {
  Route r;
  r.name = std::move(name);
  r.rpm = rpm;
  r.tpm = tpm;
  return r;
}

TEST(CollectLimitScopesTest, OnlyScopesWithLimitsAndTheirPeriods) {
  KeyRecord key;
  key.key_hash = "abc";
  key.rpm = 10;
  key.max_budget = 5 * kPicoPerUsd;
  key.budget_duration = "1d";
  key.budget_reset_at = kNow + 100;
  key.spend = 2 * kPicoPerUsd;
  TeamRecord team;
  team.team_id = "t1";  // no limits: no scope
  Caller caller;
  caller.key.key = &key;
  caller.key.team = &team;
  ZoneConfig zone;
  zone.name = "clinic";
  zone.max_budget = 1.5;
  zone.budget_duration = "1d";
  BudgetConfig budget;
  budget.daily = 100;
  BudgetBaselines baselines = {{"zone:clinic", 1'764'547'200 + 86'400, 7}, {"global", 1, 9}};
  std::vector<LimitScope> scopes;
  CollectLimitScopes(&caller, &zone, RouteNamed("smart", 0, 1000), budget, baselines, kNow, scopes);
  ASSERT_EQ(scopes.size(), 4U);
  EXPECT_EQ(scopes[0].id, "key:abc");
  EXPECT_EQ(scopes[0].rpm, 10);
  EXPECT_EQ(scopes[0].budget, 5 * kPicoPerUsd);
  EXPECT_EQ(scopes[0].period_end, kNow + 100);
  EXPECT_EQ(scopes[0].period_spend, 2 * kPicoPerUsd);
  EXPECT_EQ(scopes[1].id, "zone:clinic");
  EXPECT_EQ(scopes[1].budget, FromUsd(1.5));
  EXPECT_EQ(scopes[1].period_spend, 7) << "baseline of the same period";
  EXPECT_EQ(scopes[2].id, "model:smart");
  EXPECT_EQ(scopes[2].tpm, 1000);
  EXPECT_EQ(scopes[3].id, "global");
  EXPECT_EQ(scopes[3].period_end, 1'764'547'200 + 86'400);
  EXPECT_EQ(scopes[3].period_spend, 0) << "a baseline of another period does not count";
  EXPECT_TRUE(AnyBudget(scopes));
}

TEST(CollectLimitScopesTest, AKeyPeriodThatEndedIsTheNextOneWithNothingSpent) {
  KeyRecord key;
  key.key_hash = "k";
  key.max_budget = 1;
  key.budget_duration = "1h";
  key.budget_reset_at = kNow - 10;
  key.spend = 99;
  Caller caller;
  caller.key.key = &key;
  std::vector<LimitScope> scopes;
  CollectLimitScopes(&caller, nullptr, RouteNamed("m"), BudgetConfig{}, {}, kNow, scopes);
  ASSERT_EQ(scopes.size(), 1U);
  EXPECT_EQ(scopes[0].period_end, kNow - 10 + 3600);
  EXPECT_EQ(scopes[0].period_spend, 0);
}

TEST(CollectLimitScopesTest, NoLimitsNoScopes) {
  std::vector<LimitScope> scopes = {LimitScope{}};
  CollectLimitScopes(nullptr, nullptr, RouteNamed("m"), BudgetConfig{}, {}, kNow, scopes);
  EXPECT_TRUE(scopes.empty());
}

TEST(CrossedWarningsTest, OnlyTheRequestThatCrossesTheThreshold) {
  Admission a;
  a.reserved = 10;
  a.budgets = {{"key:k", 85, 100}, {"team:t", 95, 100}, {"global", 70, 100}};
  auto crossed = CrossedWarnings(a, 0.8);
  ASSERT_EQ(crossed.size(), 1U);
  EXPECT_EQ(crossed[0]->scope, "key:k");
  EXPECT_TRUE(CrossedWarnings(a, 0).empty());
}

TEST(RateLimitHeadersTest, ReplaceTheUpstreamsAndFormatResets) {
  HttpHeaders headers = {{"X-RateLimit-Limit-Requests", "10000"}, {"content-type", "x"}};
  RateStatus rate;
  rate.limit_requests = 5;
  rate.remaining_requests = 4;
  rate.reset_requests_ms = 61'500;
  AddRateLimitHeaders(rate, headers);
  ASSERT_EQ(headers.size(), 4U);
  EXPECT_EQ(headers[0].name, "content-type");
  EXPECT_EQ(FindHeader(headers, "x-ratelimit-limit-requests"), "5");
  EXPECT_EQ(FindHeader(headers, "x-ratelimit-remaining-requests"), "4");
  EXPECT_EQ(FindHeader(headers, "x-ratelimit-reset-requests"), "1m2s");
  HttpHeaders none = {{"x-ratelimit-limit-requests", "7"}};
  AddRateLimitHeaders(RateStatus{}, none);
  EXPECT_EQ(none.size(), 1U) << "no gateway limit: the upstream's stay";
}

}  // namespace
}  // namespace baton
