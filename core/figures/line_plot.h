#pragma once
// A small line plot with error bars, drawn with OpenCV into a frame: the
// comparison's "motion and CLIP-I against the motion scale" figure. core/
// cannot use QCustomPlot (no Qt), and a PNG must come from the CLI too.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::figures {

struct PlotSeries {
  std::string name;  ///< shown in the legend
  std::vector<double> x, y;
  /// Half-height of each point's error bar (e.g. a standard error); empty: none.
  std::vector<double> error;
  std::array<uint8_t, 3> rgb{31, 119, 180};
  /// Dashed, no markers: a reference level (e.g. a baseline drawn across the axis).
  bool dashed = false;
};

struct PlotSpec {
  std::string title, xLabel, yLabel;
  std::vector<PlotSeries> series;
  int width = 520, height = 360;
};

/// Throws std::invalid_argument when a series' x, y and error sizes disagree or
/// nothing is to be drawn. The axes span the data (error bars included) with a margin.
video::Frame linePlot(const PlotSpec& spec);

/// Frames side by side (same height or not: aligned at the top, dark background).
video::Frame sideBySide(const std::vector<video::Frame>& frames, int gap = 8);

}  // namespace sm::figures
