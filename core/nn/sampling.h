#pragma once
// Downsample2D / Upsample2D (diffusers names: `conv`).
// ref: diffusers@58eb52c0 src/diffusers/models/downsampling.py, upsampling.py
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <optional>

#include "core/nn/adaptable_layers.h"

namespace sm::nn {

class Downsample2DImpl : public torch::nn::Module {
 public:
  /// padding 1 (UNet) pads symmetrically; padding 0 (VAE) pads right and bottom by one.
  Downsample2DImpl(int64_t channels, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);
  AdaptableConv2d conv{nullptr};

 private:
  int64_t padding_;
};
TORCH_MODULE(Downsample2D);

class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  /// Nearest-neighbour x2 (or to `size`, when the skip tensor's size is odd), then a 3x3 conv.
  torch::Tensor forward(const torch::Tensor& x, std::optional<std::vector<int64_t>> size = std::nullopt);
  AdaptableConv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

}  // namespace sm::nn
