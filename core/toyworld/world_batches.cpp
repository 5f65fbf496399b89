#include "core/toyworld/world_batches.h"

#include <torch/torch.h>

#include <cmath>

#include "core/toyworld/toy_configs.h"

namespace sm::toyworld {

double pictureTime(int64_t index) {
  const double golden = 0.6180339887498949;
  double whole = 0;
  return std::modf(static_cast<double>(index) * golden, &whole);
}

torch::Tensor frameToTensor(const video::Frame& frame) {
  auto bytes = torch::from_blob(const_cast<uint8_t*>(frame.rgb.data()), {frame.height, frame.width, 3}, torch::kUInt8);
  return bytes.permute({2, 0, 1}).to(torch::kFloat32).div(127.5).sub(1.0).contiguous();
}

torch::Tensor clipToTensor(const video::VideoClip& clip) {
  std::vector<torch::Tensor> frames;
  frames.reserve(clip.frames.size());
  for (const auto& f : clip.frames) frames.push_back(frameToTensor(f));
  return torch::stack(frames);
}

PictureBatch drawPictureBatch(uint64_t seed, int64_t firstIndex, int64_t count, const world::SceneFilter& filter) {
  PictureBatch batch;
  std::vector<torch::Tensor> pixels, masks;
  for (int64_t i = firstIndex; i < firstIndex + count; ++i) {
    const world::Scene scene = world::sampleScene(seed, static_cast<uint64_t>(i), filter);
    pixels.push_back(frameToTensor(world::drawImage(scene, pictureTime(i), kImageSize)));
    std::vector<uint8_t> mask = world::drawShapeMask(scene, pictureTime(i), kImageSize);
    masks.push_back(torch::from_blob(mask.data(), {1, kImageSize, kImageSize}, torch::kUInt8).to(torch::kFloat32) /
                    255.0);
    batch.captions.push_back(world::caption(scene, false));
    batch.scenes.push_back(scene);
  }
  batch.pixels = torch::stack(pixels);
  batch.shapeMasks = torch::stack(masks);
  return batch;
}

VideoBatch drawVideoBatch(uint64_t seed, int64_t firstIndex, int64_t count, int frames,
                          const world::SceneFilter& filter) {
  VideoBatch batch;
  std::vector<torch::Tensor> videos;
  for (int64_t i = firstIndex; i < firstIndex + count; ++i) {
    const world::Scene scene = world::sampleScene(seed, static_cast<uint64_t>(i), filter);
    videos.push_back(clipToTensor(world::drawVideo(scene, frames, kImageSize, kFps)).permute({1, 0, 2, 3}));
    batch.captions.push_back(world::caption(scene, true));
    batch.scenes.push_back(scene);
  }
  batch.pixels = torch::stack(videos);
  return batch;
}

}  // namespace sm::toyworld
