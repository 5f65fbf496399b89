// The figures drawn with OpenCV: a point of a plot lands where its value says,
// in its series' colour; the sheet has one row per video and one column per
// shown frame; bad input is refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/figures/labelled_sheet.h"
#include "core/figures/line_plot.h"

namespace sm::figures {
namespace {

video::Frame solid(int size, uint8_t r, uint8_t g, uint8_t b) {
  video::Frame f;
  f.width = f.height = size;
  for (int i = 0; i < size * size; ++i) f.rgb.insert(f.rgb.end(), {r, g, b});
  return f;
}

std::array<uint8_t, 3> pixel(const video::Frame& f, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(f.width) + static_cast<size_t>(x)) * 3;
  return {f.rgb[i], f.rgb[i + 1], f.rgb[i + 2]};
}

int countColour(const video::Frame& f, std::array<uint8_t, 3> rgb) {
  int n = 0;
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) n += pixel(f, x, y) == rgb;
  return n;
}

TEST(LinePlot, DrawsEachSeriesInItsColourAndTheHigherPointHigher) {
  PlotSpec spec;
  spec.title = "motion";
  spec.series.push_back({"rising", {-1, 0, 1}, {0.0, 1.0, 2.0}, {0.1, 0.1, 0.1}, {200, 0, 0}, false});
  spec.series.push_back({"level", {-1, 1}, {1.0, 1.0}, {}, {0, 0, 200}, true});
  const video::Frame plot = linePlot(spec);
  ASSERT_EQ(plot.width, spec.width);
  ASSERT_EQ(plot.height, spec.height);
  EXPECT_GT(countColour(plot, {200, 0, 0}), 50);
  EXPECT_GT(countColour(plot, {0, 0, 200}), 20);
  // The red markers: the topmost red pixel is right of the lowest one (y = 2 at x = 1).
  int topX = -1, topY = plot.height, bottomX = -1, bottomY = -1;
  for (int y = 0; y < plot.height; ++y)
    for (int x = 0; x < plot.width - 200; ++x)  // left of the legend
      if (pixel(plot, x, y) == std::array<uint8_t, 3>{200, 0, 0}) {
        if (y < topY) topY = y, topX = x;
        if (y > bottomY) bottomY = y, bottomX = x;
      }
  ASSERT_GE(topX, 0);
  EXPECT_GT(topX, bottomX + 100);
  EXPECT_GT(bottomY, topY + 100);
}

TEST(LinePlot, RefusesMismatchedSeriesAndEmptyPlots) {
  PlotSpec bad;
  bad.series.push_back({"x", {0, 1}, {0}, {}, {0, 0, 0}, false});
  EXPECT_THROW(linePlot(bad), std::invalid_argument);
  EXPECT_THROW(linePlot(PlotSpec{}), std::invalid_argument);
}

TEST(LabelledSheet, OneRowPerVideoOneColumnPerShownFrame) {
  video::VideoClip red, green;
  for (int i = 0; i < 6; ++i) red.frames.push_back(solid(16, 255, 0, 0));
  for (int i = 0; i < 3; ++i) green.frames.push_back(solid(16, 0, 255, 0));
  SheetLayout layout;
  layout.cell = 32;
  layout.frameStride = 2;
  layout.labelWidth = 100;
  const video::Frame sheet = labelledSheet({{"red", red}, {"green", green}}, layout);
  EXPECT_EQ(sheet.width, 100 + 3 * (32 + 2));
  EXPECT_EQ(sheet.height, 2 * (32 + 2));
  EXPECT_EQ(pixel(sheet, 100 + 2 * 34 + 5, 5), (std::array<uint8_t, 3>{255, 0, 0}));
  // The green clip has 3 frames: shown are 0 and 2; the third cell stays dark.
  EXPECT_EQ(pixel(sheet, 100 + 34 + 5, 34 + 5), (std::array<uint8_t, 3>{0, 255, 0}));
  EXPECT_EQ(pixel(sheet, 100 + 2 * 34 + 5, 34 + 5), (std::array<uint8_t, 3>{24, 24, 24}));
  EXPECT_THROW(labelledSheet({}), std::invalid_argument);
  EXPECT_THROW(labelledSheet({{"empty", video::VideoClip{}}}), std::invalid_argument);
}

TEST(SideBySide, PlacesFramesLeftToRight) {
  const video::Frame f = sideBySide({solid(4, 255, 0, 0), solid(6, 0, 0, 255)}, 2);
  EXPECT_EQ(f.width, 12);
  EXPECT_EQ(f.height, 6);
  EXPECT_EQ(pixel(f, 0, 0), (std::array<uint8_t, 3>{255, 0, 0}));
  EXPECT_EQ(pixel(f, 0, 5), (std::array<uint8_t, 3>{255, 255, 255}));
  EXPECT_EQ(pixel(f, 11, 5), (std::array<uint8_t, 3>{0, 0, 255}));
}

}  // namespace
}  // namespace sm::figures
