// Exact money arithmetic (DESIGN.md §5): amounts are integers of pico-USD (1e-12 USD).
//
// Why pico: provider prices go down to fractions of a micro-dollar per token (Gemini's cached
// input is $0.01875 per 1M tokens = 18,750 pico-USD per token), so every catalog price is a whole
// number of pico-USD and token counts times prices are exact integer products. Floating point
// appears only at the config boundary (FromUsd) and never in sums: adding a million small costs
// gives exactly the total an accountant would get. int64_t holds up to ~9.2 million USD, far more
// than any single budget or request; arithmetic that would go past it saturates (clamps to the
// limit) and reports that it did, instead of wrapping around silently.
//
// Thread-safety: pure functions on values; no shared state.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace baton {

// An amount of money in pico-USD. May be negative (a refund, a settle delta).
using Money = int64_t;

inline constexpr Money kPicoPerUsd = 1'000'000'000'000;
inline constexpr Money kMoneyMax = std::numeric_limits<Money>::max();
inline constexpr Money kMoneyMin = std::numeric_limits<Money>::min();

// USD as written in a config file (e.g. 2.5e-6 per token, 50 for a budget) to pico-USD, rounded to
// the nearest pico (halfway cases away from zero). NaN gives 0; values beyond the int64 range
// saturate to kMoneyMax / kMoneyMin and set *saturated (when given).
Money FromUsd(double usd, bool* saturated = nullptr);

// Exact decimal text in USD: up to 12 decimals, trailing zeros trimmed, no exponent, no float
// rounding. Examples: 0 -> "0", 2'500'000'000'000 -> "2.5", 123'000'000 -> "0.000123",
// 1 -> "0.000000000001", -1'500'000'000'000 -> "-1.5".
std::string ToUsdString(Money amount);

// a + b, clamped to [kMoneyMin, kMoneyMax]. On clamping sets *saturated = true (when given); never
// resets it, so one flag can collect a whole sum.
Money SaturatingAdd(Money a, Money b, bool* saturated = nullptr);
// a * b, clamped to [kMoneyMin, kMoneyMax]; same flag contract as SaturatingAdd.
Money SaturatingMul(int64_t a, int64_t b, bool* saturated = nullptr);

// The cost of `tokens` tokens at `price_per_token` pico-USD each. Negative token counts count as
// 0 (a usage report is never negative; a bug upstream must not turn into a credit). Saturates like
// SaturatingMul.
Money CostOf(int64_t tokens, Money price_per_token, bool* saturated = nullptr);

}  // namespace baton
