#pragma once
// Motion measured on frames with OpenCV's dense optical flow (Farnebäck):
// how much a video moves, and which of the world's motions it shows.
#include <optional>
#include <vector>

#include "core/video/video_frames.h"
#include "core/world/world_scene.h"

namespace sm::world {

/// Per-pixel optical-flow magnitude (pixels per frame) from `a` to `b`, both first
/// resized to `size` x `size` (0: as they are; they must then be the same size).
std::vector<float> flowMagnitudes(const video::Frame& a, const video::Frame& b, int size = 0);

/// Mean optical-flow magnitude between consecutive frames, in pixels per frame
/// at the clip's own size (0 for fewer than two frames).
double meanFlowMagnitude(const video::VideoClip& clip);

/// Flow summary of a clip, relative to the moving region.
struct MotionFeatures {
  double magnitude = 0;           ///< mean flow magnitude over all pixels, px/frame
  double meanDx = 0, meanDy = 0;  ///< mean translation of the moving pixels, summed over the clip
  double radial = 0;              ///< mean outward component around the moving region's centroid
  double tangential = 0;          ///< mean rotational component (positive: clockwise on screen)
  int dySignChanges = 0;          ///< how often the vertical direction reverses (bounces)
  double turn = 0;                ///< total turning of the translation direction, radians (orbits)
};

MotionFeatures motionFeatures(const video::VideoClip& clip);

/// The world motion a clip shows, by rules on its flow; none when it barely moves.
std::optional<Motion> classifyMotion(const video::VideoClip& clip);

}  // namespace sm::world
