// Sliding context windows: coverage, placement and weights.
#include <gtest/gtest.h>

#include <set>

#include "core/pipelines/context_windows.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

std::vector<int64_t> coverCount(const std::vector<ContextWindow>& windows, int64_t frames) {
  std::vector<int64_t> count(static_cast<size_t>(frames), 0);
  for (const auto& w : windows)
    for (int64_t f : w.frames) ++count.at(static_cast<size_t>(f));
  return count;
}

TEST(ContextWindows, ShortVideosAreOneWindowOfEveryFrame) {
  for (int64_t frames : {1, 8, 16}) {
    const auto windows = contextWindows(frames, {});
    ASSERT_EQ(windows.size(), 1u) << frames;
    EXPECT_EQ(windows[0].frames.size(), static_cast<size_t>(frames));
    for (float w : windows[0].weights) EXPECT_EQ(w, 1.0f);
  }
  ContextOptions none;
  none.length = 0;
  EXPECT_EQ(contextWindows(200, none).size(), 1u);
}

TEST(ContextWindows, SixtyFourFramesAreCoveredByOverlappingWindowsFlushWithTheEnd) {
  ContextOptions o;  // 16 frames, overlap 4: a window every 12 frames
  const auto windows = contextWindows(64, o);
  ASSERT_EQ(windows.size(), 5u);
  const std::vector<int64_t> starts{0, 12, 24, 36, 48};
  for (size_t i = 0; i < windows.size(); ++i) {
    ASSERT_EQ(windows[i].frames.size(), 16u);
    EXPECT_EQ(windows[i].frames.front(), starts[i]) << i;
    for (size_t k = 1; k < 16; ++k) EXPECT_EQ(windows[i].frames[k], windows[i].frames[k - 1] + 1);
  }
  EXPECT_EQ(windows.back().frames.back(), 63);
  for (int64_t c : coverCount(windows, 64)) EXPECT_GE(c, 1);
  // Neighbours share at least `overlap` frames.
  for (size_t i = 1; i < windows.size(); ++i)
    EXPECT_GE(windows[i - 1].frames.back() - windows[i].frames.front() + 1, 4);
}

TEST(ContextWindows, PyramidWeightsPeakInTheMiddleAndFlatAreOnes) {
  ContextOptions o;
  o.length = 6;
  o.overlap = 2;
  const auto pyramid = contextWindows(20, o);
  EXPECT_EQ(pyramid[0].weights, (std::vector<float>{1, 2, 3, 3, 2, 1}));
  o.fuse = ContextFuse::Flat;
  for (const auto& w : contextWindows(20, o))
    for (float x : w.weights) EXPECT_EQ(x, 1.0f);
}

TEST(ContextWindows, ClosedLoopWrapsRoundToTheStart) {
  ContextOptions o;
  o.closedLoop = true;
  const auto windows = contextWindows(40, o);
  // Starts 0, 12, 24, 36; the last ones wrap: 36..39, 0..11.
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows[3].frames.front(), 36);
  EXPECT_EQ(windows[3].frames[4], 0);
  EXPECT_EQ(windows[3].frames.back(), 11);
  for (int64_t c : coverCount(windows, 40)) EXPECT_GE(c, 1);
}

TEST(ContextWindows, InvalidOptionsThrowConfigError) {
  ContextOptions o;
  o.overlap = 16;
  EXPECT_THROW(contextWindows(64, o), ConfigError);
  o.overlap = -1;
  EXPECT_THROW(contextWindows(64, o), ConfigError);
  o = {};
  o.length = -2;
  EXPECT_THROW(contextWindows(64, o), ConfigError);
  EXPECT_THROW(contextWindows(0, {}), ConfigError);
}

}  // namespace
}  // namespace sm::pipelines
