#pragma once
// In-memory video: what the reader returns and the writer takes.
#include <cstdint>
#include <vector>

namespace sm::video {

/// One picture, packed RGB24, row-major, no row padding: `rgb.size() == width * height * 3`.
struct Frame {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

/// Frames in display order, all the same size, shown `fps` frames per second.
struct VideoClip {
  std::vector<Frame> frames;
  double fps = 0.0;
};

}  // namespace sm::video
