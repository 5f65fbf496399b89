#include "core/nn/sampling.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/upsampling.h>

namespace sm::nn {

namespace F = torch::nn::functional;

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t padding) : padding_(padding) {
  conv = register_module("conv",
                         AdaptableConv2d(torch::nn::Conv2dOptions(channels, channels, 3).stride(2).padding(padding)));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x) {
  if (padding_ == 0) return conv(F::pad(x, F::PadFuncOptions({0, 1, 0, 1})));  // the VAE's asymmetric pad
  return conv(x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels) {
  conv = register_module("conv", AdaptableConv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x, std::optional<std::vector<int64_t>> size) {
  auto options = F::InterpolateFuncOptions().mode(torch::kNearest);
  if (size)
    options.size(*size);
  else
    options.scale_factor(std::vector<double>{2.0, 2.0});
  return conv(F::interpolate(x, options));
}

}  // namespace sm::nn
