#include "money/money.hpp"

#include <array>
#include <cmath>

namespace baton {

namespace {

void Flag(bool* saturated) {
  if (saturated != nullptr) {
    *saturated = true;
  }
}

}  // namespace

Money FromUsd(double usd, bool* saturated) {
  if (std::isnan(usd)) {
    return 0;
  }
  // usd * 1e12 is exact enough for every price and budget we see (a double carries ~15.9
  // significant digits; 2.5e-6 * 1e12 = 2500000.0000000005 rounds to 2500000). The range check
  // is on the double, before the conversion, because converting an out-of-range double to an
  // integer is undefined behaviour. 2^63 is exactly representable as a double.
  const double pico = usd * static_cast<double>(kPicoPerUsd);
  constexpr double kLimit = 9223372036854775808.0;  // 2^63
  if (pico >= kLimit) {
    Flag(saturated);
    return kMoneyMax;
  }
  if (pico < -kLimit) {
    Flag(saturated);
    return kMoneyMin;
  }
  const double rounded = std::round(pico);  // halfway away from zero
  if (rounded >= kLimit) {                  // round() can only move up to the limit itself
    Flag(saturated);
    return kMoneyMax;
  }
  return static_cast<Money>(rounded);
}

std::string ToUsdString(Money amount) {
  // Work on the magnitude as unsigned so that kMoneyMin (whose negation overflows int64) is exact.
  const bool negative = amount < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(amount) : static_cast<uint64_t>(amount);
  const uint64_t whole = magnitude / static_cast<uint64_t>(kPicoPerUsd);
  uint64_t frac = magnitude % static_cast<uint64_t>(kPicoPerUsd);

  std::string out;
  if (negative) {
    out.push_back('-');
  }
  out += std::to_string(whole);
  if (frac != 0) {
    std::array<char, 12> digits{};
    for (size_t i = digits.size(); i-- > 0;) {
      digits[i] = static_cast<char>('0' + (frac % 10));
      frac /= 10;
    }
    size_t len = digits.size();
    while (len > 0 && digits[len - 1] == '0') {
      --len;
    }
    out.push_back('.');
    out.append(digits.data(), len);
  }
  return out;
}

Money SaturatingAdd(Money a, Money b, bool* saturated) {
  Money sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    Flag(saturated);
    return b > 0 ? kMoneyMax : kMoneyMin;  // overflow only happens when both share b's sign
  }
  return sum;
}

Money SaturatingMul(int64_t a, int64_t b, bool* saturated) {
  Money product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    Flag(saturated);
    return (a < 0) != (b < 0) ? kMoneyMin : kMoneyMax;
  }
  return product;
}

Money CostOf(int64_t tokens, Money price_per_token, bool* saturated) {
  if (tokens <= 0) {
    return 0;
  }
  return SaturatingMul(tokens, price_per_token, saturated);
}

}  // namespace baton
