#include "cli/heatmap.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr int64_t kMay26 = 20234;  // 2025-05-26, a Monday

TEST(HeatmapTest, LevelsScaleToTheBusiestDay) {
  EXPECT_EQ(HeatmapLevel(0, 100), 0);
  EXPECT_EQ(HeatmapLevel(-5, 100), 0);
  EXPECT_EQ(HeatmapLevel(5, 0), 0);
  EXPECT_EQ(HeatmapLevel(1, 100), 1);  // any traffic is visible
  EXPECT_EQ(HeatmapLevel(50, 100), 5);
  EXPECT_EQ(HeatmapLevel(80, 100), 8);
  EXPECT_EQ(HeatmapLevel(99, 100), 9);
  EXPECT_EQ(HeatmapLevel(100, 100), 9);
  EXPECT_EQ(HeatmapLevel(int64_t{1} << 61, int64_t{1} << 62), 5);  // no overflow
}

TEST(HeatmapTest, PlainGolden) {
  const std::vector<HeatmapDay> days = {
      {kMay26, 60},      {kMay26, 40},  // summed
      {kMay26 + 1, 50},  {kMay26 + 7, 1},
      {kMay26 + 14, 80}, {kMay26 + 30, 1000},  // outside: ignored
  };
  const std::string expected =
      "    May Jun\n"
      "Mon @ . %\n"
      "Tue +\n"
      "Wed\n"
      "Thu\n"
      "Fri\n"
      "Sat\n"
      "Sun\n"
      "    less  .:-=+*#%@ more\n"
      "231 tokens over 21 days (2025-05-26 to 2025-06-15); busiest 2025-05-26 with 100\n";
  EXPECT_EQ(RenderHeatmap(days, kMay26, kMay26 + 20, false), expected);
}

TEST(HeatmapTest, PlainGoldenStartingMidWeekAcrossMonths) {
  // 2025-06-25 (Wednesday) to 2025-07-08: the first column starts blank on Mon/Tue.
  const int64_t first = kMay26 + 30;
  std::vector<HeatmapDay> days;
  for (int64_t d = 0; d < 14; ++d) {
    days.push_back({first + d, (d + 1) * 1000});
  }
  const std::string expected =
      "    Jun Jul\n"
      "Mon   = @\n"
      "Tue   + @\n"
      "Wed . *\n"
      "Thu : *\n"
      "Fri : #\n"
      "Sat - %\n"
      "Sun = %\n"
      "    less  .:-=+*#%@ more\n";
  const std::string got = RenderHeatmap(days, first, first + 13, false);
  EXPECT_EQ(got.substr(0, got.find("105,000")), expected) << got;
  EXPECT_NE(got.find("105,000 tokens over 14 days (2025-06-25 to 2025-07-08); busiest 2025-07-08 "
                     "with 14,000"),
            std::string::npos)
      << got;
}

TEST(HeatmapTest, ColourUsesAnsiShadesAndNoPlainCharacters) {
  const std::vector<HeatmapDay> days = {{kMay26, 10}};
  const std::string got = RenderHeatmap(days, kMay26, kMay26 + 6, true);
  EXPECT_NE(got.find("\x1b[38;5;82m"), std::string::npos);   // the busiest day
  EXPECT_NE(got.find("\x1b[38;5;237m"), std::string::npos);  // empty days
  EXPECT_EQ(got.find('@'), std::string::npos);
}

TEST(HeatmapTest, EmptyRangeStillRendersTheGrid) {
  const std::string got = RenderHeatmap({}, kMay26, kMay26 + 6, false);
  EXPECT_NE(got.find("0 tokens over 7 days"), std::string::npos);
  EXPECT_EQ(got.find("busiest"), std::string::npos);
}

}  // namespace
}  // namespace baton
