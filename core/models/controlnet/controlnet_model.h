#pragma once
// ControlNetModel: the UNet's encoder run on the latents plus the embedded
// control image, whose skip tensors and mid output, through zero convs and
// times the conditioning scale, are the residuals the UNet adds to its own
// (models::ControlNetResiduals). Purely per frame: frames are batch rows.
// Keys: conv_in, time_embedding.linear_{1,2}, down_blocks.N, mid_block,
// controlnet_cond_embedding.{conv_in,blocks.N,conv_out}, controlnet_down_blocks.N,
// controlnet_mid_block.
// ref: diffusers v0.35.2 src/diffusers/models/controlnets/controlnet.py (ControlNetModel.forward)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include "core/models/controlnet/controlnet_config.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/unet/unet_blocks.h"
#include "core/nn/timestep_embedding.h"

namespace sm::models {

/// The control image [n, channels, H, W] in [0, 1] to conv_in's width at the
/// latent size: 3x3 convs with SiLU, every second one strided (LDM input_hint_block).
class ControlNetConditioningEmbeddingImpl : public torch::nn::Module {
 public:
  ControlNetConditioningEmbeddingImpl(int64_t conditioningChannels, const std::vector<int>& widths,
                                      int64_t outChannels);
  torch::Tensor forward(const torch::Tensor& condition);

  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList blocks{nullptr};
};
TORCH_MODULE(ControlNetConditioningEmbedding);

class ControlNetModelImpl : public torch::nn::Module {
 public:
  explicit ControlNetModelImpl(const ControlNetConfig& config);

  /// The control image [n, channels, H, W] in [0, 1], RGB (reversed here for a
  /// "bgr" ControlNet), through the conditioning embedding: [n, c0, H/d, W/d].
  /// It depends on the image only, so a generation computes it once.
  torch::Tensor embedCondition(const torch::Tensor& condition);

  /// sample [n, in, h, w], timestep scalar or [n], context [n, 77, ctx] or [n / F, 77, ctx]
  /// (one row per video of F consecutive frames), embeddedCondition [n, c0, h, w]
  /// (embedCondition's). Returns the residuals multiplied by `scale`, as [n, c, h', w']
  /// tensors in skip order.
  ControlNetResiduals forward(const torch::Tensor& sample, const torch::Tensor& timestep, const torch::Tensor& context,
                              const torch::Tensor& embeddedCondition, double scale);

  const ControlNetConfig& config() const { return config_; }

  torch::nn::Conv2d conv_in{nullptr};
  nn::TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  MidBlock mid_block{nullptr};
  ControlNetConditioningEmbedding controlnet_cond_embedding{nullptr};
  torch::nn::ModuleList controlnet_down_blocks{nullptr};
  torch::nn::Conv2d controlnet_mid_block{nullptr};

 private:
  ControlNetConfig config_;
};
TORCH_MODULE(ControlNetModel);

/// ControlNet's initialisation: the encoder copied from `unet` (conv_in, time
/// embedding, down and mid blocks; never its motion modules), the zero convs and
/// the conditioning embedding's last conv at zero, so that training starts from
/// exactly the UNet's own output. Throws ConfigError when the shapes differ.
void initializeFromUNet(ControlNetModelImpl& net, UNet3DImpl& unet);

}  // namespace sm::models
