#include "money/local_counters.hpp"

#include <gtest/gtest.h>

namespace baton {
namespace {

// LocalCounters' behaviour is checked by the counters contract suite
// (src/cluster/counters_contract_test.cpp), which runs it and RedisCounters alike; here only its
// own sliding-window arithmetic.

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

}  // namespace
}  // namespace baton
