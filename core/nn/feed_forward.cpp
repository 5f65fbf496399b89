#include "core/nn/feed_forward.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/dropout.h>

namespace sm::nn {

namespace F = torch::nn::functional;

GEGLUImpl::GEGLUImpl(int64_t dimIn, int64_t dimOut) {
  proj = register_module("proj", AdaptableLinear(dimIn, dimOut * 2));
}

torch::Tensor GEGLUImpl::forward(const torch::Tensor& x) {
  auto halves = proj(x).chunk(2, -1);
  return halves[0] * F::gelu(halves[1]);
}

FeedForwardImpl::FeedForwardImpl(int64_t dim) {
  net = register_module(
      "net", torch::nn::ModuleList(GEGLU(dim, 4 * dim), torch::nn::Dropout(0.0), AdaptableLinear(4 * dim, dim)));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = net[0]->as<GEGLU>()->forward(x);
  return net[2]->as<AdaptableLinear>()->forward(h);
}

}  // namespace sm::nn
