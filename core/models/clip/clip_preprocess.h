#pragma once
// CLIP's image preprocessing, as transformers' CLIPImageProcessor does it, so
// that our CLIP scores are the ones a Python evaluation would report: shortest
// side resized to the crop size with Pillow's bicubic filter (its exact 8-bit
// fixed-point arithmetic, horizontal pass then vertical), centre crop, /255,
// then CLIP's mean and std.
#include <torch/types.h>

#include <array>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::models {

inline constexpr std::array<float, 3> kClipMean{0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kClipStd{0.26862954f, 0.26130258f, 0.27577711f};

/// Pillow's Image.resize(..., BICUBIC) of an RGB frame, byte for byte.
video::Frame resizeBicubicLikePillow(const video::Frame& frame, int width, int height);

/// The frames as CLIP's input: [N, 3, size, size] float32.
torch::Tensor clipPixels(const std::vector<video::Frame>& frames, int size);

}  // namespace sm::models
