#pragma once
// The comparison's measures of one generated video (the paper's CLIP-I and
// CLIP-T, plus motion and temporal consistency), and their aggregation.
#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/evaluation/embedder.h"
#include "core/video/video_frames.h"

namespace sm::evaluation {

/// Motion is measured on frames resized to this square, so videos of any size compare.
inline constexpr int kFlowSize = 256;
/// A frame pair "moves" when the mean of its strongest 5% flow magnitudes
/// exceeds this many pixels (at kFlowSize): VBench's dynamic-degree rule
/// (RAFT there, Farnebäck here; its threshold 6 at a 256-pixel short side).
inline constexpr double kDynamicThreshold = 6.0;
inline constexpr double kDynamicTopFraction = 0.05;

struct VideoScores {
  int frames = 0;
  /// Mean cosine between each frame and the prompt; none without a prompt.
  std::optional<double> clipT;
  /// Mean cosine between each frame and each reference image; none without references.
  std::optional<double> clipI;
  /// Mean optical-flow magnitude between consecutive frames, px/frame at kFlowSize.
  double motion = 0;
  /// Share of consecutive frame pairs that move (kDynamicThreshold).
  double dynamicDegree = 0;
  /// Mean cosine between consecutive frames' image embeddings (1: identical frames).
  double consistency = 1;
};

/// Motion alone (no embedder needed): `motion` and `dynamicDegree` of the clip.
void measureMotion(const video::VideoClip& clip, VideoScores& scores);

/// Every measure. `prompt`: [1, D] unit text embedding or undefined; `references`:
/// [R, D] unit image embeddings or undefined.
VideoScores scoreVideo(const video::VideoClip& clip, Embedder& embedder, const torch::Tensor& prompt,
                       const torch::Tensor& references);

/// Every measure by its report name ("clip_t", "clip_i", "motion",
/// "dynamic_degree", "consistency"), read from a video's scores (none when not
/// measured): one table for every report's rows, columns and aggregates.
struct Measure {
  const char* name;
  std::optional<double> (*get)(const VideoScores&);
};
const std::vector<Measure>& measureTable();
/// Throws std::logic_error for a name not in the table.
const Measure& measureNamed(const std::string& name);

struct Aggregate {
  int count = 0;
  double mean = 0;
  /// Sample standard deviation / sqrt(count); 0 for fewer than two values.
  double standardError = 0;
};
Aggregate aggregate(const std::vector<double>& values);

}  // namespace sm::evaluation
