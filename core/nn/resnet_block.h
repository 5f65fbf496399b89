#pragma once
// ResnetBlock2D (diffusers names: norm1, conv1, time_emb_proj, norm2, conv2,
// conv_shortcut). The VAE's blocks have no time embedding.
// ref: diffusers@58eb52c0 src/diffusers/models/resnet.py (ResnetBlock2D)
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/nn/adaptable_layers.h"

namespace sm::nn {

struct ResnetBlockOptions {
  int64_t inChannels = 0;
  int64_t outChannels = 0;
  /// Width of the time embedding; 0 for blocks without one (VAE).
  int64_t tembChannels = 0;
  int64_t groups = 32;
  double eps = 1e-5;
};

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  explicit ResnetBlock2DImpl(const ResnetBlockOptions& options);
  /// x: [n, in, h, w]; temb: [n, tembChannels] or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});

  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  AdaptableConv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  AdaptableLinear time_emb_proj{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

}  // namespace sm::nn
