// Helpers shared by Store implementations: budget durations and schedules, patches, cursors,
// the stored form of model lists.
#include "store/store.hpp"

#include <gtest/gtest.h>

namespace baton {
namespace {

TEST(BudgetDuration, ParsesLiteLLMSyntax) {
  EXPECT_EQ(ParseBudgetDuration("30s")->seconds, 30);
  EXPECT_EQ(ParseBudgetDuration("30m")->seconds, 1800);
  EXPECT_EQ(ParseBudgetDuration("2h")->seconds, 7200);
  EXPECT_EQ(ParseBudgetDuration("30d")->seconds, 30 * 86400);
  EXPECT_EQ(ParseBudgetDuration("1mo")->months, 1);
  EXPECT_EQ(ParseBudgetDuration("1mo")->seconds, 0);
  for (const char* bad : {"", "30", "0d", "-1d", "d", "1w", "1 d", "1dd", "1000000d", "1.5h"}) {
    EXPECT_FALSE(ParseBudgetDuration(bad).has_value()) << bad;
  }
}

TEST(BudgetDuration, MonthsClampToTheLastDay) {
  const int64_t jan31 = 1'738'326'896;  // 2025-01-31T12:34:56Z
  const auto mo = *ParseBudgetDuration("1mo");
  EXPECT_EQ(AddBudgetDuration(jan31, mo), 1'740'746'096);  // 2025-02-28T12:34:56Z
  // The schedule keeps the anchor's day where the month has it: Jan 31 -> Feb 28 -> Mar 31.
  EXPECT_EQ(NextBudgetReset(jan31, mo, 1'740'746'096), 1'743'424'496);  // 2025-03-31T12:34:56Z
  EXPECT_EQ(AddBudgetDuration(jan31, *ParseBudgetDuration("12mo")), 1'769'862'896);  // 2026-01-31
}

TEST(BudgetDuration, NextResetIsStrictlyAfterNowOnTheSchedule) {
  const auto d = *ParseBudgetDuration("1h");
  EXPECT_EQ(NextBudgetReset(1000, d, 1000), 4600);  // due exactly now: next period
  EXPECT_EQ(NextBudgetReset(1000, d, 4599), 4600);
  EXPECT_EQ(NextBudgetReset(1000, d, 4600), 8200);
  EXPECT_EQ(NextBudgetReset(1000, *ParseBudgetDuration("1s"), 1000 + 86400 * 365),
            1001 + 86400 * 365);  // long downtime: arithmetic, no loop
}

TEST(KeyPatch, AppliesOnlySetFieldsAndReschedules) {
  KeyRecord k;
  k.key_hash = "h";
  k.alias = "a";
  k.max_budget = 5;
  k.budget_duration = "1d";
  k.budget_reset_at = 100;
  KeyPatch p;
  p.max_budget = std::optional<int64_t>{};
  ASSERT_TRUE(ApplyKeyPatch(k, p, 1000).ok());
  EXPECT_FALSE(k.max_budget.has_value());
  EXPECT_EQ(k.alias, "a");
  EXPECT_EQ(k.budget_reset_at, 100);

  KeyPatch both;  // duration and an explicit reset time: the explicit time wins
  both.budget_duration = "2d";
  both.budget_reset_at = std::optional<int64_t>{555};
  ASSERT_TRUE(ApplyKeyPatch(k, both, 1000).ok());
  EXPECT_EQ(k.budget_reset_at, 555);

  KeyPatch dur;
  dur.budget_duration = "1h";
  ASSERT_TRUE(ApplyKeyPatch(k, dur, 1000).ok());
  EXPECT_EQ(k.budget_reset_at, 4600);

  KeyPatch bad;
  bad.budget_duration = "soon";
  auto st = ApplyKeyPatch(k, bad, 1000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kBadRequest);
}

TEST(SpendCursor, RoundTripsAndRejectsGarbage) {
  auto c = DecodeSpendCursor(EncodeSpendCursor(1'750'000'000'123, 42));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, 1'750'000'000'123);
  EXPECT_EQ(c->second, 42);
  for (const char* bad : {"", ".", "1.", ".2", "a.b", "1.2.3", "12", "1.2x"}) {
    EXPECT_FALSE(DecodeSpendCursor(bad).has_value()) << bad;
  }
}

TEST(ModelsJson, RoundTripsIncludingEscapes) {
  std::vector<std::string> m = {"gpt-4o", "a\"b", "back\\slash", "ünï"};
  auto json = ModelsToJson(m);
  EXPECT_EQ(ModelsFromJson(json), m);
  EXPECT_EQ(ModelsToJson({}), "[]");
  EXPECT_EQ(ModelsFromJson("[]"), std::vector<std::string>{});
  EXPECT_FALSE(ModelsFromJson("[1]").has_value());
  EXPECT_FALSE(ModelsFromJson("{}").has_value());
  EXPECT_FALSE(ModelsFromJson("nope").has_value());
}

}  // namespace
}  // namespace baton
