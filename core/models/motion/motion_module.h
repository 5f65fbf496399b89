#pragma once
// AnimateDiff motion module: diffusers AnimateDiffTransformer3D (= the
// original TemporalTransformer3DModel inside VanillaTemporalModule). Keys:
// norm, proj_in, transformer_blocks.N.{norm1, attn1, norm2, attn2, norm3, ff},
// proj_out (ARCHITECTURE_FACTS §3.3).
// Position tables: loaded, as diffusers loads its persistent `pe` buffers. Each
// transformer block has one (`transformer_blocks.N.pos_embed.pe`, the original
// files' `attention_blocks.0.pos_encoder.pe`), used before both attentions.
// A file without them gets the computed table (unet_loader.cpp).
// ref: diffusers v0.35.2 src/diffusers/models/unets/unet_motion_model.py:65-213 (AnimateDiffTransformer3D)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/nn/adaptable_layers.h"

namespace sm::models {

struct MotionModuleOptions {
  int64_t channels = 0;
  int64_t heads = 8;
  int64_t groups = 32;
  int64_t layers = 1;
  int64_t maxSeqLength = 32;
};

class AnimateDiffTransformer3DImpl : public torch::nn::Module {
 public:
  explicit AnimateDiffTransformer3DImpl(const MotionModuleOptions& options);
  /// x: [b*f, c, h, w] with rows b*f + frame (frames inner). normPerFrame:
  /// GroupNorm each frame alone (original AnimateDiff, ComfyUI) instead of over
  /// all frames of a video (diffusers). Throws ConfigError when frames > maxSeqLength.
  torch::Tensor forward(const torch::Tensor& x, int64_t frames, bool normPerFrame = false);

  int64_t maxSeqLength() const { return maxSeqLength_; }

  torch::nn::GroupNorm norm{nullptr};
  nn::AdaptableLinear proj_in{nullptr}, proj_out{nullptr};
  torch::nn::ModuleList transformer_blocks{nullptr};

 private:
  int64_t maxSeqLength_;
};
TORCH_MODULE(AnimateDiffTransformer3D);

}  // namespace sm::models
