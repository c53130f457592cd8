// JSON numbers as int64 without undefined behaviour: every dialect reads token counts and limits
// that a client or upstream may send as 1.5, 1e300 or 2^64 (found by fuzzing). Header-only.
// Pure functions; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include <boost/json/value.hpp>

namespace baton {

// The range numbers are clamped to: JSON's safe integers (±2^53, what JavaScript clients can
// hold). Token counts and limits never come near it, and sums of a few such values cannot
// overflow int64.
inline constexpr int64_t kMaxJsonInt = int64_t{1} << 53;

inline int64_t ClampJsonInt(int64_t v) {
  return std::clamp(v, -kMaxJsonInt, kMaxJsonInt);
}

// d truncated toward zero and clamped to ±kMaxJsonInt.
inline int64_t SaturatingInt(double d) {
  if (!(d > -static_cast<double>(kMaxJsonInt))) {  // also NaN (never produced by a parser)
    return -kMaxJsonInt;
  }
  if (d >= static_cast<double>(kMaxJsonInt)) {
    return kMaxJsonInt;
  }
  return static_cast<int64_t>(d);
}

// The value as int64 clamped to ±kMaxJsonInt: integers as they are, doubles truncated (with
// exact: only doubles without a fraction). nullopt for anything else.
inline std::optional<int64_t> JsonInt(const boost::json::value& v, bool exact = false) {
  if (v.is_int64()) {
    return ClampJsonInt(v.get_int64());
  }
  if (v.is_uint64()) {
    return kMaxJsonInt;  // only values above int64's range are stored as uint64
  }
  if (v.is_double()) {
    double d = v.get_double();
    int64_t i = SaturatingInt(d);
    if (exact && static_cast<double>(i) != d && i != kMaxJsonInt && i != -kMaxJsonInt) {
      return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

}  // namespace baton
