#include "core/nn/timestep_embedding.h"

#include <torch/nn/functional/activation.h>
#include <torch/torch.h>

#include <cmath>

namespace sm::nn {

torch::Tensor timestepFeatures(const torch::Tensor& t, int64_t dim, bool flipSinToCos, double freqShift) {
  const int64_t half = dim / 2;
  auto exponent = -std::log(10000.0) * torch::arange(half, torch::dtype(torch::kFloat32).device(t.device()));
  exponent = exponent / (static_cast<double>(half) - freqShift);
  auto args = t.to(torch::kFloat32).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);  // [b, half]
  auto emb = torch::cat({torch::sin(args), torch::cos(args)}, -1);                     // [b, 2 half]
  if (flipSinToCos) emb = torch::cat({emb.slice(1, half), emb.slice(1, 0, half)}, -1);
  if (dim % 2 == 1) emb = torch::nn::functional::pad(emb, torch::nn::functional::PadFuncOptions({0, 1}));
  return emb;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t inChannels, int64_t embedDim) {
  linear_1 = register_module("linear_1", AdaptableLinear(inChannels, embedDim));
  linear_2 = register_module("linear_2", AdaptableLinear(embedDim, embedDim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& features) {
  return linear_2(torch::nn::functional::silu(linear_1(features)));
}

}  // namespace sm::nn
