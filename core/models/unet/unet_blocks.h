#pragma once
// The down, mid and up blocks of UNet3D: SD's CrossAttnDownBlock2D /
// DownBlock2D / UNetMidBlock2DCrossAttn / CrossAttnUpBlock2D / UpBlock2D with
// AnimateDiff's motion modules interleaved (diffusers *Motion blocks). Keys:
// resnets.N, attentions.N, motion_modules.N, downsamplers.0, upsamplers.0.
// Placement (ARCHITECTURE_FACTS §3.2): resnet -> attention -> motion module per
// layer; in the mid block resnets.0 -> attentions.0 -> motion_modules.0 -> resnets.1.
// ref: diffusers v0.35.2 src/diffusers/models/unets/unet_motion_model.py:216-1019 (DownBlockMotion ...
// UNetMidBlockCrossAttnMotion)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include <optional>
#include <vector>

#include "core/models/motion/motion_module.h"
#include "core/models/unet/transformer_2d.h"

namespace sm::models {

/// What every block needs in one UNet call. Rows of every [n, ...] tensor are b*frames + f.
struct BlockInputs {
  torch::Tensor temb;     ///< [b*f, temb]
  torch::Tensor context;  ///< [b*f, 77, ctx]
  int64_t frames = 1;
  /// False in image mode: the motion modules are skipped.
  bool runMotion = true;
  bool motionNormPerFrame = false;
  /// Original AnimateDiff v1: resnet GroupNorms see all frames of a video.
  bool spatialNormAcrossFrames = false;
};

/// The GroupNorm of `norm` applied to x [b*f, c, h, w] with statistics over all
/// f frames of each video (original AnimateDiff without inflated GroupNorm).
torch::Tensor groupNormAcrossFrames(torch::nn::GroupNormImpl& norm, const torch::Tensor& x, int64_t frames);

/// Shared by the three block kinds: sizes of the layers a block holds.
struct BlockOptions {
  int64_t outChannels = 0;
  int64_t tembChannels = 0;
  int64_t groups = 32;
  double eps = 1e-5;
  /// Spatial transformer per layer when set (its channels are outChannels).
  std::optional<Transformer2DOptions> attention;
  /// Motion module per layer when set (its channels are outChannels).
  std::optional<MotionModuleOptions> motion;
};

class DownBlockImpl : public torch::nn::Module {
 public:
  DownBlockImpl(int64_t inChannels, int layers, bool downsample, const BlockOptions& options);
  /// Appends one skip tensor per layer and one after the downsampler.
  torch::Tensor forward(torch::Tensor x, const BlockInputs& in, std::vector<torch::Tensor>& skips);

  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, motion_modules{nullptr}, downsamplers{nullptr};
};
TORCH_MODULE(DownBlock);

class MidBlockImpl : public torch::nn::Module {
 public:
  explicit MidBlockImpl(const BlockOptions& options);
  torch::Tensor forward(torch::Tensor x, const BlockInputs& in);

  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, motion_modules{nullptr};
};
TORCH_MODULE(MidBlock);

class UpBlockImpl : public torch::nn::Module {
 public:
  /// prevChannels: the previous up block's output; skipChannels: what each
  /// layer concatenates (one entry per layer, in the order they are popped).
  UpBlockImpl(int64_t prevChannels, const std::vector<int64_t>& skipChannels, bool upsample,
              const BlockOptions& options);
  /// Pops one skip tensor per layer from the back of `skips` (concat [x, skip]).
  /// upsampleSize: the output size of the upsampler when the input size is odd.
  torch::Tensor forward(torch::Tensor x, const BlockInputs& in, std::vector<torch::Tensor>& skips,
                        std::optional<std::vector<int64_t>> upsampleSize = std::nullopt);

  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, motion_modules{nullptr}, upsamplers{nullptr};
};
TORCH_MODULE(UpBlock);

}  // namespace sm::models
