#pragma once
// Inputs for the dataset tests: flat grey videos whose frame k has level
// `base + step * k` (so a frame's index can be read back from its colour
// after lossy encoding), patterned images, and small settings for the tiny models.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/datasets/dataset_jobs.h"
#include "core/video/video_frames.h"
#include "core/video/video_reader.h"
#include "core/video/video_writer.h"
#include "tests/pipelines/tiny_pipeline.h"

namespace sm::test {

inline video::Frame greyFrame(int width, int height, int level) {
  video::Frame frame;
  frame.width = width;
  frame.height = height;
  frame.rgb.assign(static_cast<size_t>(width) * height * 3, static_cast<uint8_t>(level));
  return frame;
}

/// A diagonal colour pattern, different in every pixel, so crops and shifts show.
inline video::Frame patternFrame(int width, int height) {
  video::Frame frame;
  frame.width = width;
  frame.height = height;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      frame.rgb.push_back(static_cast<uint8_t>((x * 255) / std::max(1, width - 1)));
      frame.rgb.push_back(static_cast<uint8_t>((y * 255) / std::max(1, height - 1)));
      frame.rgb.push_back(static_cast<uint8_t>(((x + y) * 7) % 256));
    }
  return frame;
}

/// An MP4 of `frames` flat grey frames, frame k at level 20 + 20 k.
inline void writeGreyVideo(const std::string& path, int frames, int width, int height) {
  video::VideoClip clip;
  clip.fps = 8;
  for (int k = 0; k < frames; ++k) clip.frames.push_back(greyFrame(width, height, 20 + 20 * k));
  video::WriteOptions options;
  options.crf = 0;
  video::writeVideo(path, clip, options);
}

/// The mean level of a frame (all channels).
inline double meanLevel(const video::Frame& frame) {
  double sum = 0;
  for (uint8_t v : frame.rgb) sum += v;
  return sum / static_cast<double>(frame.rgb.size());
}

/// Settings for the tiny models at 64 x 64 on the CPU in fp32.
template <typename Settings>
Settings tinySettings(const std::string& out) {
  Settings s;
  s.out = out;
  s.models = tinySources();
  s.width = 64;
  s.height = 64;
  s.frames = 4;
  s.steps = 2;
  s.guidance = 7.5;
  s.seed = 7;
  s.device = "cpu";
  s.dtype = "fp32";
  return s;
}

/// A job that records its warnings.
struct RecordingJob {
  std::vector<std::string> warnings;
  jobs::JobContext job{jobs::JobListener{{}, [this](jobs::LogLevel level, const std::string& m) {
                                           if (level == jobs::LogLevel::Warning) warnings.push_back(m);
                                         }}};
  bool warned(const std::string& part) const {
    for (const std::string& w : warnings)
      if (w.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace sm::test
