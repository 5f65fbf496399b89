#pragma once
// The blocks of AutoencoderKL: its encoder and decoder, with diffusers'
// parameter names. Every GroupNorm has eps 1e-6 and the resnets have no time
// embedding.
// ref: diffusers@0.35.2 src/diffusers/models/autoencoders/vae.py (Encoder L60, Decoder L181)
// ref: diffusers@0.35.2 src/diffusers/models/unets/unet_2d_blocks.py (UNetMidBlock2D L589,
//      DownEncoderBlock2D L1372, UpDecoderBlock2D L2575)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include "core/models/vae/vae_config.h"
#include "core/nn/attention.h"

namespace sm::models {

/// GroupNorm eps of the whole VAE.
inline constexpr double kVAENormEps = 1e-6;

/// The mid-block attention: diffusers' Attention in "deprecated attention
/// block" mode. One head as wide as the channels, q/k/v/out with bias, a
/// group_norm before, and the residual added after (rescale factor 1).
/// Keys: group_norm, to_q, to_k, to_v, to_out.0 (LDM files store the
/// projections as 1x1 convs; the key map squeezes them to Linear shapes).
class VAEAttentionImpl : public nn::AttentionImpl {
 public:
  VAEAttentionImpl(int64_t channels, int64_t groups);
  /// x: [b, c, h, w] -> [b, c, h, w].
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::GroupNorm group_norm{nullptr};
};
TORCH_MODULE(VAEAttention);

/// UNetMidBlock2D without time embedding: resnets.0, attentions.0 (optional), resnets.1.
class VAEMidBlockImpl : public torch::nn::Module {
 public:
  VAEMidBlockImpl(int64_t channels, int64_t groups, bool addAttention);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList attentions{nullptr};  ///< empty when mid_block_add_attention is false
};
TORCH_MODULE(VAEMidBlock);

class DownEncoderBlock2DImpl : public torch::nn::Module {
 public:
  DownEncoderBlock2DImpl(int64_t inChannels, int64_t outChannels, int64_t numLayers, int64_t groups,
                         bool addDownsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList downsamplers{nullptr};  ///< absent in the last block
};
TORCH_MODULE(DownEncoderBlock2D);

class UpDecoderBlock2DImpl : public torch::nn::Module {
 public:
  UpDecoderBlock2DImpl(int64_t inChannels, int64_t outChannels, int64_t numLayers, int64_t groups, bool addUpsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList upsamplers{nullptr};  ///< absent in the last block
};
TORCH_MODULE(UpDecoderBlock2D);

class VAEEncoderImpl : public torch::nn::Module {
 public:
  explicit VAEEncoderImpl(const VAEConfig& config);
  /// x: [b, in, H, W] -> [b, 2 * latent, H / 2^(n-1), W / 2^(n-1)] (mean ‖ logvar, before quant_conv).
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv_in{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  VAEMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};  ///< then SiLU (conv_act, no params)
  torch::nn::Conv2d conv_out{nullptr};
};
TORCH_MODULE(VAEEncoder);

class VAEDecoderImpl : public torch::nn::Module {
 public:
  explicit VAEDecoderImpl(const VAEConfig& config);
  /// z: [b, latent, h, w] (after post_quant_conv) -> [b, out, h * 2^(n-1), w * 2^(n-1)].
  torch::Tensor forward(const torch::Tensor& z);
  torch::nn::Conv2d conv_in{nullptr};
  VAEMidBlock mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};  ///< then SiLU (conv_act, no params)
  torch::nn::Conv2d conv_out{nullptr};
};
TORCH_MODULE(VAEDecoder);

}  // namespace sm::models
