#include "money/money.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace baton {
namespace {

TEST(MoneyTest, FromUsdRoundsToNearestPico) {
  EXPECT_EQ(FromUsd(2.5e-6), 2'500'000);
  EXPECT_EQ(FromUsd(1.875e-8), 18'750);  // Gemini cached input, the smallest catalog price
  EXPECT_EQ(FromUsd(0.15e-6), 150'000);
  EXPECT_EQ(FromUsd(1e-12), 1);
  EXPECT_EQ(FromUsd(0.4e-12), 0);
  EXPECT_EQ(FromUsd(0.6e-12), 1);
  EXPECT_EQ(FromUsd(50.0), 50 * kPicoPerUsd);
  EXPECT_EQ(FromUsd(0.1), 100'000'000'000);
  EXPECT_EQ(FromUsd(-1.5), -1'500'000'000'000);
  EXPECT_EQ(FromUsd(0.0), 0);
}

TEST(MoneyTest, FromUsdSaturatesAndFlags) {
  bool saturated = false;
  EXPECT_EQ(FromUsd(1e7, &saturated), kMoneyMax);  // 10M USD is past int64 pico
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(FromUsd(-1e7, &saturated), kMoneyMin);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(FromUsd(std::numeric_limits<double>::infinity(), &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(FromUsd(std::nan(""), &saturated), 0);
  EXPECT_FALSE(saturated);
  EXPECT_EQ(FromUsd(9'000'000.0, &saturated), 9'000'000 * kPicoPerUsd);  // still in range
  EXPECT_FALSE(saturated);
}

TEST(MoneyTest, MillionTokensAtTwoFiftyPerMillionIsExactlyTwoFifty) {
  const Money price = FromUsd(2.5e-6);
  EXPECT_EQ(CostOf(1'000'000, price), 2'500'000'000'000);
  EXPECT_EQ(ToUsdString(CostOf(1'000'000, price)), "2.5");
}

TEST(MoneyTest, SumOfManySmallCostsIsExact) {
  // One token of gpt-4o-mini input (0.15 USD / 1M) a million times: a double accumulator
  // drifts away from 0.15, the integer sum lands on it exactly.
  const Money price = FromUsd(0.15e-6);
  Money total = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    total = SaturatingAdd(total, CostOf(1, price));
  }
  EXPECT_EQ(total, 150'000'000'000);  // exactly 0.15 USD
  EXPECT_EQ(ToUsdString(total), "0.15");

  // Mixed prices: 3 x 7 tokens at 18'750 + 11 tokens at 1 pico.
  Money mixed = 0;
  for (int i = 0; i < 3; ++i) {
    mixed = SaturatingAdd(mixed, CostOf(7, 18'750));
  }
  mixed = SaturatingAdd(mixed, CostOf(11, 1));
  EXPECT_EQ(mixed, 3 * 7 * 18'750 + 11);
}

TEST(MoneyTest, ToUsdStringIsExactDecimal) {
  EXPECT_EQ(ToUsdString(0), "0");
  EXPECT_EQ(ToUsdString(1), "0.000000000001");
  EXPECT_EQ(ToUsdString(123'000'000), "0.000123");
  EXPECT_EQ(ToUsdString(kPicoPerUsd), "1");
  EXPECT_EQ(ToUsdString(50 * kPicoPerUsd), "50");
  EXPECT_EQ(ToUsdString(2'500'000'000'000), "2.5");
  EXPECT_EQ(ToUsdString(1'000'000'000'010), "1.00000000001");
  EXPECT_EQ(ToUsdString(999'999'999'999), "0.999999999999");
  EXPECT_EQ(ToUsdString(-1'500'000'000'000), "-1.5");
  EXPECT_EQ(ToUsdString(-1), "-0.000000000001");
  EXPECT_EQ(ToUsdString(kMoneyMax), "9223372.036854775807");
  EXPECT_EQ(ToUsdString(kMoneyMin), "-9223372.036854775808");
}

TEST(MoneyTest, SaturatingAddClampsAndFlags) {
  bool saturated = false;
  EXPECT_EQ(SaturatingAdd(1, 2, &saturated), 3);
  EXPECT_FALSE(saturated);
  EXPECT_EQ(SaturatingAdd(kMoneyMax, 1, &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(SaturatingAdd(kMoneyMin, -1, &saturated), kMoneyMin);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(SaturatingAdd(kMoneyMax, kMoneyMin, &saturated), -1);
  EXPECT_FALSE(saturated);
  // The flag is sticky: a later in-range add does not clear it.
  saturated = true;
  EXPECT_EQ(SaturatingAdd(1, 1, &saturated), 2);
  EXPECT_TRUE(saturated);
  // Without a flag pointer it still clamps.
  EXPECT_EQ(SaturatingAdd(kMoneyMax - 5, 10), kMoneyMax);
}

TEST(MoneyTest, SaturatingMulClampsAndFlags) {
  bool saturated = false;
  EXPECT_EQ(SaturatingMul(1'000'000, 2'500'000, &saturated), 2'500'000'000'000);
  EXPECT_FALSE(saturated);
  EXPECT_EQ(SaturatingMul(kMoneyMax / 2 + 1, 2, &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(SaturatingMul(-(kMoneyMax / 2 + 1), 3, &saturated), kMoneyMin);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(SaturatingMul(kMoneyMin, -1, &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
}

TEST(MoneyTest, CostOfNeverOverflowsSilently) {
  bool saturated = false;
  // 10^13 tokens at $600 / 1M (o1-pro output) is 6e9 USD: far past int64 pico.
  EXPECT_EQ(CostOf(10'000'000'000'000, 600'000'000, &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(CostOf(-5, 2'500'000, &saturated), 0);
  EXPECT_FALSE(saturated);
  EXPECT_EQ(CostOf(0, kMoneyMax, &saturated), 0);
  EXPECT_EQ(CostOf(3, 0, &saturated), 0);
  EXPECT_FALSE(saturated);
}

}  // namespace
}  // namespace baton
