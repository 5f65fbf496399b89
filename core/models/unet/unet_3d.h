#pragma once
// UNet3D: SD's UNet2DConditionModel inflated to video. Spatial layers see the
// frames folded into the batch (rows b*F + f); AnimateDiff motion modules sit
// after each resnet/attention pair of the down and up blocks, and in the mid
// block for v2 (diffusers UNetMotionModel). Without motion modules it is the
// plain text-to-image UNet. Keys: conv_in, time_embedding.linear_{1,2},
// down_blocks.N, mid_block, up_blocks.N, conv_norm_out, conv_out (time_proj has
// no parameters).
// ref: diffusers v0.35.2 src/diffusers/models/unets/unet_motion_model.py:1948-2160 (UNetMotionModel.forward)
// ref: diffusers v0.35.2 src/diffusers/models/unets/unet_2d_condition.py (UNet2DConditionModel.forward)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <optional>
#include <vector>

#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_blocks.h"
#include "core/models/unet/unet_config.h"
#include "core/nn/adaptable_layers.h"
#include "core/nn/timestep_embedding.h"

namespace sm::models {

struct UNet3DOptions {
  /// Motion-module GroupNorm per frame (original AnimateDiff, ComfyUI) instead
  /// of across the frames of each video (diffusers, the default).
  bool motionNormPerFrame = false;
  /// Resnet and conv_norm_out GroupNorms across frames, as the original
  /// AnimateDiff v1 UNet did (use_inflated_groupnorm false). Default: per frame (diffusers).
  bool spatialNormAcrossFrames = false;
};

/// ControlNet outputs added to the UNet (ARCHITECTURE_FACTS §1.8 steps 4-5).
/// Each tensor is [b*F, c, h, w] (rows b*F + f) or [b, c, F, h, w].
struct ControlNetResiduals {
  std::vector<torch::Tensor> down;  ///< one per skip tensor (12 for SD 1.5), in skip order
  torch::Tensor mid;
};

class UNet3DImpl : public torch::nn::Module {
 public:
  /// Motion modules use the UNet's norm_num_groups, as diffusers' UNetMotionModel does.
  explicit UNet3DImpl(const UNetConfig& config, const std::optional<MotionModuleConfig>& motionConfig = std::nullopt,
                      const UNet3DOptions& options = {});

  /// sample: [B, in, F, h, w] (video) or [B, in, h, w] (image mode: motion
  /// modules skipped, the plain text-to-image UNet). timestep: [B] or a scalar,
  /// integer or fractional. encoderHiddenStates: [B, 77, ctx], repeated per frame
  /// inside (frames inner), or already [B*F, 77, ctx]. Returns the sample's shape.
  /// Throws ConfigError when F exceeds the motion modules' max_seq_length.
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                        const torch::Tensor& encoderHiddenStates, const ControlNetResiduals* control = nullptr);

  const UNetConfig& config() const { return config_; }
  const std::optional<MotionModuleConfig>& motionConfig() const { return motionConfig_; }
  bool hasMotionModules() const { return motionConfig_.has_value(); }
  /// The most frames the motion modules accept (0: no motion modules, no limit).
  int64_t maxFrames() const { return motionConfig_ ? motionConfig_->motion_max_seq_length : 0; }
  UNet3DOptions& options() { return options_; }

  /// Gradient checkpointing for training: while on (and grad mode enabled),
  /// each down block, the mid block and each up block keeps only its inputs
  /// and outputs and runs again during backward (nn/checkpoint_function.h).
  /// Gradients, adapters' included, are those of a plain run. Off by default.
  void setGradientCheckpointing(bool enabled) { gradientCheckpointing_ = enabled; }
  bool gradientCheckpointing() const { return gradientCheckpointing_; }

  nn::AdaptableConv2d conv_in{nullptr}, conv_out{nullptr};
  nn::TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr}, up_blocks{nullptr};
  MidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};

 private:
  torch::Tensor timeEmbedding(const torch::Tensor& timestep, int64_t batch, const torch::Tensor& like);
  UNetConfig config_;
  std::optional<MotionModuleConfig> motionConfig_;
  UNet3DOptions options_;
  bool gradientCheckpointing_ = false;
};
TORCH_MODULE(UNet3D);

}  // namespace sm::models
