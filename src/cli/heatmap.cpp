// Why it looks like this: columns are weeks starting on Monday (ISO), so a column is a calendar
// week and rows line up by weekday; a month label sits over the first week holding that month's
// first day, when it fits. Levels are linear in value/max with 9 steps, so the busiest day is
// always the darkest and any non-zero day is visible.
#include "cli/heatmap.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <deque>
#include <map>
#include <string_view>

namespace baton {

namespace {

constexpr std::string_view kPlain = " .:-=+*#%@";
// Greys to greens, level 0..9 (xterm 256-colour palette).
constexpr std::array<int, 10> kColors = {237, 22, 22, 28, 28, 34, 34, 40, 46, 82};
constexpr std::array<const char*, 7> kWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// 0 = Monday. 1970-01-01 was a Thursday.
int64_t Weekday(int64_t day) {
  return ((day % 7) + 7 + 3) % 7;
}

std::tm DateOf(int64_t day) {
  const auto t = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string DateText(int64_t day) {
  const std::tm tm = DateOf(day);
  std::array<char, 16> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%d", &tm);
  return buf.data();
}

std::string Cell(int level, bool color) {
  if (!color) {
    return {kPlain[static_cast<std::size_t>(level)]};
  }
  return "\x1b[38;5;" + std::to_string(kColors[static_cast<std::size_t>(level)]) + "m\u25a0\x1b[0m";
}

std::string WithThousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

}  // namespace

int HeatmapLevel(int64_t value, int64_t max) {
  if (value <= 0 || max <= 0) {
    return 0;
  }
  if (value >= max) {
    return 9;
  }
  // 1..9: ceil(9 * value / max), computed without overflow for large token counts.
  const auto level = static_cast<int>((static_cast<long double>(value) * 9 + max - 1) / max);
  return std::clamp(level, 1, 9);
}

std::string RenderHeatmap(std::span<const HeatmapDay> days, int64_t first_day, int64_t last_day,
                          bool color, const std::string& unit) {
  std::map<int64_t, int64_t> values;
  for (const HeatmapDay& d : days) {
    if (d.day >= first_day && d.day <= last_day) {
      values[d.day] += d.value;
    }
  }
  int64_t max = 0;
  int64_t max_day = first_day;
  int64_t total = 0;
  for (const auto& [day, v] : values) {
    total += v;
    if (v > max) {
      max = v;
      max_day = day;
    }
  }
  const int64_t start = first_day - Weekday(first_day);  // Monday of the first week
  const int64_t weeks = ((last_day - start) / 7) + 1;

  // Month labels: over the week holding a month's first day (or the first column), 2 chars per
  // column; a label that would overlap the previous one moves right to the next free column.
  std::string header(4 + (static_cast<std::size_t>(weeks) * 2) + 4, ' ');
  std::size_t free_from = 4;
  std::deque<int> pending;  // months waiting for room, in order
  for (int64_t w = 0; w < weeks; ++w) {
    for (int64_t d = 0; d < 7; ++d) {
      const int64_t day = start + (w * 7) + d;
      if (day >= first_day && day <= last_day && (DateOf(day).tm_mday == 1 || day == first_day)) {
        pending.push_back(DateOf(day).tm_mon);
      }
    }
    const std::size_t col = 4 + (static_cast<std::size_t>(w) * 2);
    if (!pending.empty() && col >= free_from) {
      header.replace(col, 3, kMonths[static_cast<std::size_t>(pending.front())]);
      free_from = col + 4;
      pending.pop_front();
    }
  }
  while (!header.empty() && header.back() == ' ') {
    header.pop_back();
  }
  std::string out = header + "\n";
  for (int64_t row = 0; row < 7; ++row) {
    std::string line = kWeekdays[static_cast<std::size_t>(row)];
    line += ' ';
    for (int64_t w = 0; w < weeks; ++w) {
      const int64_t day = start + (w * 7) + row;
      if (day < first_day || day > last_day) {
        line += "  ";
        continue;
      }
      auto it = values.find(day);
      line += Cell(HeatmapLevel(it != values.end() ? it->second : 0, max), color);
      line += ' ';
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  }
  out += "    less ";
  for (int level = 0; level <= 9; ++level) {
    out += Cell(level, color);
  }
  out += " more\n";
  out += WithThousands(total) + " " + unit + " over " + std::to_string(last_day - first_day + 1) +
         " days (" + DateText(first_day) + " to " + DateText(last_day) + ")";
  if (max > 0) {
    out += "; busiest " + DateText(max_day) + " with " + WithThousands(max);
  }
  out += "\n";
  return out;
}

}  // namespace baton
