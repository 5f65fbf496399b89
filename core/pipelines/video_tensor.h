#pragma once
// Between the networks' float video tensors and the 8-bit frames that video
// I/O reads and writes.
#include <torch/torch.h>

#include "core/video/video_frames.h"

namespace sm::pipelines {

/// frames: [F, 3, H, W] float in [0, 1] (any device). Values are scaled by 255
/// and rounded half to even, as diffusers' numpy_to_pil does; out-of-range
/// values are clamped first.
video::VideoClip toVideoClip(const torch::Tensor& frames, double fps);

/// [F, 3, H, W] float32 in [0, 1] on the CPU.
torch::Tensor fromVideoClip(const video::VideoClip& clip);

}  // namespace sm::pipelines
