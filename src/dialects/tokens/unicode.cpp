#include "dialects/tokens/unicode.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace baton::tokens {
namespace {

struct Run {
  uint32_t first;
  CpClass cls;
};

// A C array: its size comes from the generated table.
// NOLINTNEXTLINE(modernize-avoid-c-arrays)
constexpr Run kRuns[] = {
#include "dialects/tokens/unicode_classes.inc"
};

// ASCII is the common case: one table load instead of a binary search.
constexpr std::array<CpClass, 128> MakeAsciiTable() {
  std::array<CpClass, 128> t{};
  for (uint32_t c = 0; c < 128; ++c) {
    CpClass cls = CpClass::kOther;
    for (const Run& r : kRuns) {
      if (r.first > c) {
        break;
      }
      cls = r.cls;
    }
    t[c] = cls;
  }
  return t;
}
constexpr std::array<CpClass, 128> kAscii = MakeAsciiTable();

}  // namespace

CpClass ClassOfCodePoint(uint32_t cp) {
  if (cp < 128) {
    return kAscii[cp];
  }
  // Last run whose first code point is <= cp.
  const Run* it = std::ranges::upper_bound(kRuns, cp, {}, &Run::first);
  return it == std::begin(kRuns) ? CpClass::kOther : (it - 1)->cls;
}

DecodedCp DecodeCp(const uint8_t* p, const uint8_t* end) {
  uint8_t b0 = p[0];
  if (b0 < 0x80) {
    return {b0, 1, kAscii[b0]};
  }
  auto cont = [&](ptrdiff_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
  uint32_t cp = 0;
  uint8_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    cp = ((b0 & 0x1FU) << 6) | (p[1] & 0x3FU);
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    cp = ((b0 & 0x0FU) << 12) | ((p[1] & 0x3FU) << 6) | (p[2] & 0x3FU);
    len = 3;
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) {
      len = 0;  // overlong or surrogate
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    cp = ((b0 & 0x07U) << 18) | ((p[1] & 0x3FU) << 12) | ((p[2] & 0x3FU) << 6) | (p[3] & 0x3FU);
    len = 4;
    if (cp < 0x10000 || cp > 0x10FFFF) {
      len = 0;
    }
  }
  if (len == 0) {
    return {0xFFFD, 1, CpClass::kOther};
  }
  return {cp, len, ClassOfCodePoint(cp)};
}

}  // namespace baton::tokens
