#include "core/pipelines/video_tensor.h"

#include <cstring>

#include "core/util/error.h"

namespace sm::pipelines {

video::VideoClip toVideoClip(const torch::Tensor& frames, double fps) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(1) == 3, "toVideoClip: frames must be [F, 3, H, W], got ",
              frames.sizes());
  // [F, H, W, 3] uint8, contiguous: each frame's bytes are one packed RGB24 picture.
  const torch::Tensor bytes = (frames.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1) * 255)
                                  .round()
                                  .to(torch::kUInt8)
                                  .permute({0, 2, 3, 1})
                                  .contiguous();
  video::VideoClip clip;
  clip.fps = fps;
  const int height = static_cast<int>(frames.size(2)), width = static_cast<int>(frames.size(3));
  const size_t frameBytes = static_cast<size_t>(width) * height * 3;
  const uint8_t* data = bytes.data_ptr<uint8_t>();
  for (int64_t f = 0; f < frames.size(0); ++f) {
    video::Frame frame;
    frame.width = width;
    frame.height = height;
    frame.rgb.assign(data + f * frameBytes, data + (f + 1) * frameBytes);
    clip.frames.push_back(std::move(frame));
  }
  return clip;
}

torch::Tensor fromVideoClip(const video::VideoClip& clip) {
  if (clip.frames.empty()) throw ConfigError("the video has no frames");
  const int width = clip.frames[0].width, height = clip.frames[0].height;
  torch::Tensor out = torch::empty({static_cast<int64_t>(clip.frames.size()), height, width, 3}, torch::kUInt8);
  const size_t frameBytes = static_cast<size_t>(width) * height * 3;
  for (size_t f = 0; f < clip.frames.size(); ++f) {
    const video::Frame& frame = clip.frames[f];
    if (frame.width != width || frame.height != height || frame.rgb.size() != frameBytes)
      throw ConfigError("frame " + std::to_string(f) + " is " + std::to_string(frame.width) + "x" +
                        std::to_string(frame.height) + ", not " + std::to_string(width) + "x" + std::to_string(height));
    std::memcpy(out.data_ptr<uint8_t>() + f * frameBytes, frame.rgb.data(), frameBytes);
  }
  return out.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0;
}

}  // namespace sm::pipelines
