#pragma once
// AnimateDiff motion module: diffusers AnimateDiffTransformer3D (= the
// original TemporalTransformer3DModel inside VanillaTemporalModule). Keys:
// norm, proj_in, transformer_blocks.N.{norm1, attn1, norm2, attn2, norm3, ff},
// proj_out (ARCHITECTURE_FACTS §3.3).
// Position table: recomputed, not loaded. The files' `pos_embed.pe` (diffusers)
// and `pos_encoder.pe` (original) buffers hold the same values and are ignored
// (§3.5), so a file's table length never limits anything but max_seq_length.
// ref: diffusers v0.35.2 src/diffusers/models/unets/unet_motion_model.py:65-213 (AnimateDiffTransformer3D)
// ref: diffusers v0.35.2 src/diffusers/models/embeddings.py:1352-1376 (SinusoidalPositionalEmbedding)
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

/// pe[0, p, 2i] = sin(p w_i), pe[0, p, 2i+1] = cos(p w_i), w_i = exp(-2i ln(10000) / channels); float32.
torch::Tensor sinusoidalPositions(int64_t length, int64_t channels);

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
  torch::Tensor positions_;  ///< [1, maxSeqLength, c] float32 on the CPU; not a buffer (not in the state dict)
};
TORCH_MODULE(AnimateDiffTransformer3D);

}  // namespace sm::models
