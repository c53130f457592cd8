// The terminal heatmap of `baton stats --heatmap` (docs/insights.md): one cell per UTC day, 7 rows
// (Mon..Sun) by one column per week, like a contribution graph. Shades scale with the day's value
// over the busiest day's: plain mode uses the characters " .:-=+*#%@" (space = nothing), colour
// mode ANSI 256-colour greens (for a tty with NO_COLOR unset: the caller decides).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace baton {

struct HeatmapDay {
  int64_t day = 0;    // days since 1970-01-01 (UTC)
  int64_t value = 0;  // e.g. tokens
};

// The shade level 0..9 of `value` against `max` (0 only for value <= 0; 9 for the max).
int HeatmapLevel(int64_t value, int64_t max);

// Renders days first_day..last_day (inclusive); `days` may be sparse and unordered (missing days
// are 0). Ends with a legend line and a totals line ("<total> <unit> over N days; busiest ...").
std::string RenderHeatmap(std::span<const HeatmapDay> days, int64_t first_day, int64_t last_day,
                          bool color, const std::string& unit = "tokens");

}  // namespace baton
