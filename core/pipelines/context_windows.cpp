#include "core/pipelines/context_windows.h"

#include <algorithm>
#include <string>

#include "core/util/error.h"

namespace sm::pipelines {
namespace {

std::vector<float> windowWeights(int64_t length, ContextFuse fuse) {
  std::vector<float> w(static_cast<size_t>(length), 1.0f);
  if (fuse == ContextFuse::Pyramid) {
    // 1, 2, ..., peak, ..., 2, 1: frames near a window's edge, where the
    // motion module saw the least context, count least.
    for (int64_t i = 0; i < length; ++i) w[static_cast<size_t>(i)] = static_cast<float>(std::min(i + 1, length - i));
  }
  return w;
}

}  // namespace

std::vector<ContextWindow> contextWindows(int64_t numFrames, const ContextOptions& options) {
  if (options.length < 0) throw ConfigError("context length must be >= 0, got " + std::to_string(options.length));
  if (options.length > 0 && (options.overlap < 0 || options.overlap >= options.length))
    throw ConfigError("context overlap must be in [0, context length " + std::to_string(options.length) + "), got " +
                      std::to_string(options.overlap));
  if (numFrames < 1) throw ConfigError("a video needs at least one frame, got " + std::to_string(numFrames));

  std::vector<ContextWindow> windows;
  const int64_t length = options.length;
  if (length == 0 || numFrames <= length) {
    ContextWindow all;
    for (int64_t f = 0; f < numFrames; ++f) all.frames.push_back(f);
    all.weights.assign(static_cast<size_t>(numFrames), 1.0f);
    windows.push_back(std::move(all));
    return windows;
  }

  const int64_t stride = length - options.overlap;
  const std::vector<float> weights = windowWeights(length, options.fuse);
  std::vector<int64_t> starts;
  if (options.closedLoop) {
    // Windows every `stride` frames round the loop; the last ones wrap to the start.
    for (int64_t s = 0; s < numFrames; s += stride) starts.push_back(s);
  } else {
    for (int64_t s = 0; s + length < numFrames; s += stride) starts.push_back(s);
    starts.push_back(numFrames - length);  // flush with the end: no window runs past it
  }
  for (const int64_t start : starts) {
    ContextWindow w;
    for (int64_t i = 0; i < length; ++i) w.frames.push_back((start + i) % numFrames);
    w.weights = weights;
    windows.push_back(std::move(w));
  }
  return windows;
}

}  // namespace sm::pipelines
