// JSON numbers as int64 without undefined behaviour: every dialect reads token counts and limits
// that a client or upstream may send as 1.5, 1e300 or 2^64 (found by fuzzing). Header-only.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include <boost/json/value.hpp>

namespace baton {

// d truncated toward zero and clamped to int64's range.
inline int64_t SaturatingInt(double d) {
  if (!(d > -9.2e18)) {  // also NaN (never produced by a JSON parser)
    return std::numeric_limits<int64_t>::min();
  }
  if (d >= 9.2e18) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(d);
}

// The value as int64: integers as they are (uint64 above int64's range clamps), doubles
// truncated and clamped, or, with exact, only doubles without a fraction that fit. nullopt for
// anything else.
inline std::optional<int64_t> JsonInt(const boost::json::value& v, bool exact = false) {
  if (v.is_int64()) {
    return v.get_int64();
  }
  if (v.is_uint64()) {
    uint64_t u = v.get_uint64();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  }
  if (v.is_double()) {
    double d = v.get_double();
    int64_t i = SaturatingInt(d);
    if (exact && (static_cast<double>(i) != d || d >= 9.2e18 || d <= -9.2e18)) {
      return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

}  // namespace baton
