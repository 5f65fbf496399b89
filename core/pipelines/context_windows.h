#pragma once
// Sliding context windows for videos longer than the motion module's position
// table: the frames are covered by overlapping windows of `length` frames, the
// UNet predicts each window on its own, and every frame's prediction is the
// weighted average of the windows that contain it. This is the "uniform"
// context of ComfyUI-AnimateDiff-Evolved with a static schedule: windows start
// every (length - overlap) frames, the last one flush with the end (or, for a
// looping video, wrapping round to the start).
#include <cstdint>
#include <vector>

namespace sm::pipelines {

enum class ContextFuse {
  Flat,     ///< plain average over the windows covering a frame
  Pyramid,  ///< weights rising towards each window's centre: seams blend smoothly
};

struct ContextOptions {
  /// Frames the UNet sees at once; 0 = all frames in one pass (no windows).
  int length = 16;
  /// Frames shared by neighbouring windows; must be below `length`.
  int overlap = 4;
  /// The last frames also blend with the first ones: a seamless loop.
  bool closedLoop = false;
  ContextFuse fuse = ContextFuse::Pyramid;
};

struct ContextWindow {
  std::vector<int64_t> frames;  ///< frame indices, in order (wrapping for closed loops)
  std::vector<float> weights;   ///< one per frame, > 0
};

/// The windows covering `numFrames` frames. One window holding every frame
/// (weights 1) when numFrames <= length or length == 0. Every frame is covered
/// at least once. Throws ConfigError for length < 0 or overlap outside [0, length).
std::vector<ContextWindow> contextWindows(int64_t numFrames, const ContextOptions& options);

}  // namespace sm::pipelines
