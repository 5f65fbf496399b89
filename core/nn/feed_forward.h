#pragma once
// The transformer feed-forward with GEGLU, diffusers names ff.net.0.proj and
// ff.net.2 (net.1 is dropout, no parameters).
// ref: diffusers@58eb52c0 src/diffusers/models/attention.py (FeedForward), activations.py (GEGLU)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "core/nn/adaptable_layers.h"

namespace sm::nn {

class GEGLUImpl : public torch::nn::Module {
 public:
  GEGLUImpl(int64_t dimIn, int64_t dimOut);
  /// The projection's first half times GELU(second half), exact erf GELU.
  torch::Tensor forward(const torch::Tensor& x);
  AdaptableLinear proj{nullptr};
};
TORCH_MODULE(GEGLU);

class FeedForwardImpl : public torch::nn::Module {
 public:
  /// Inner width 4 * dim, as SD and AnimateDiff use.
  explicit FeedForwardImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ModuleList net{nullptr};
};
TORCH_MODULE(FeedForward);

}  // namespace sm::nn
