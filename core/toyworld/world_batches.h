#pragma once
// Toy-world scenes as training tensors: pictures for the VAE and the T2I,
// videos for the motion module, each with its caption. Drawn on the fly from
// a (seed, index) stream, so the data never repeat and a step's batch is the
// same on every run.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/video/video_frames.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {

struct PictureBatch {
  torch::Tensor pixels;      ///< [B, 3, H, W] float32 in [-1, 1]
  torch::Tensor shapeMasks;  ///< [B, 1, H, W] float32, 1 where the shape is, 0 on the background
  std::vector<std::string> captions;
  std::vector<world::Scene> scenes;
};

struct VideoBatch {
  torch::Tensor pixels;               ///< [B, 3, F, H, W] float32 in [-1, 1]
  std::vector<std::string> captions;  ///< with the motion
  std::vector<world::Scene> scenes;
};

/// Scenes firstIndex.. of the stream `seed`, each caught at a moment of its motion
/// (captions without the motion).
PictureBatch drawPictureBatch(uint64_t seed, int64_t firstIndex, int64_t count, const world::SceneFilter& filter = {});
VideoBatch drawVideoBatch(uint64_t seed, int64_t firstIndex, int64_t count, int frames,
                          const world::SceneFilter& filter = {});

/// The moment of its motion at which picture `index` is caught, in [0, 1].
double pictureTime(int64_t index);

/// [3, H, W] float32 in [-1, 1].
torch::Tensor frameToTensor(const video::Frame& frame);
/// [F, 3, H, W] float32 in [-1, 1].
torch::Tensor clipToTensor(const video::VideoClip& clip);

}  // namespace sm::toyworld
