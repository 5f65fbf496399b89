#include "core/evaluation/video_metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "core/world/motion_metrics.h"

namespace sm::evaluation {

const std::vector<Measure>& measureTable() {
  static const std::vector<Measure> table{
      {"clip_t", [](const VideoScores& s) { return s.clipT; }},
      {"clip_i", [](const VideoScores& s) { return s.clipI; }},
      {"motion", [](const VideoScores& s) { return std::optional<double>(s.motion); }},
      {"dynamic_degree", [](const VideoScores& s) { return std::optional<double>(s.dynamicDegree); }},
      {"consistency", [](const VideoScores& s) { return std::optional<double>(s.consistency); }},
  };
  return table;
}

const Measure& measureNamed(const std::string& name) {
  for (const Measure& m : measureTable())
    if (name == m.name) return m;
  throw std::logic_error("no measure named " + name);
}

void measureMotion(const video::VideoClip& clip, VideoScores& scores) {
  scores.frames = static_cast<int>(clip.frames.size());
  scores.motion = 0;
  scores.dynamicDegree = 0;
  if (clip.frames.size() < 2) return;
  double sum = 0;
  int moving = 0;
  for (size_t i = 1; i < clip.frames.size(); ++i) {
    std::vector<float> magnitudes = world::flowMagnitudes(clip.frames[i - 1], clip.frames[i], kFlowSize);
    double total = 0;
    for (float m : magnitudes) total += m;
    sum += total / static_cast<double>(magnitudes.size());
    // The strongest few percent: a small object moving counts, as in VBench.
    const size_t top = std::max<size_t>(1, static_cast<size_t>(magnitudes.size() * kDynamicTopFraction));
    std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(top), magnitudes.end(),
                     std::greater<float>());
    double topSum = 0;
    for (size_t k = 0; k < top; ++k) topSum += magnitudes[k];
    if (topSum / static_cast<double>(top) > kDynamicThreshold) ++moving;
  }
  const double pairs = static_cast<double>(clip.frames.size() - 1);
  scores.motion = sum / pairs;
  scores.dynamicDegree = moving / pairs;
}

VideoScores scoreVideo(const video::VideoClip& clip, Embedder& embedder, const torch::Tensor& prompt,
                       const torch::Tensor& references) {
  VideoScores scores;
  measureMotion(clip, scores);
  if (clip.frames.empty()) return scores;
  const torch::Tensor frames = embedder.images(clip.frames);  // [F, D]
  if (prompt.defined()) scores.clipT = frames.matmul(prompt.t()).mean().item<double>();
  if (references.defined() && references.size(0) > 0)
    scores.clipI = frames.matmul(references.t()).mean().item<double>();
  if (clip.frames.size() >= 2) {
    const int64_t n = frames.size(0);
    scores.consistency = (frames.slice(0, 0, n - 1) * frames.slice(0, 1, n)).sum(1).mean().item<double>();
  }
  return scores;
}

Aggregate aggregate(const std::vector<double>& values) {
  Aggregate a;
  a.count = static_cast<int>(values.size());
  if (values.empty()) return a;
  double sum = 0;
  for (double v : values) sum += v;
  a.mean = sum / a.count;
  if (a.count < 2) return a;
  double squares = 0;
  for (double v : values) squares += (v - a.mean) * (v - a.mean);
  a.standardError = std::sqrt(squares / (a.count - 1)) / std::sqrt(static_cast<double>(a.count));
  return a;
}

}  // namespace sm::evaluation
