#include "core/nn/resnet_block.h"

#include <torch/nn/functional/activation.h>

namespace sm::nn {

namespace F = torch::nn::functional;

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetBlockOptions& o) {
  using torch::nn::Conv2dOptions;
  norm1 =
      register_module("norm1", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, o.inChannels).eps(o.eps)));
  conv1 = register_module("conv1", AdaptableConv2d(Conv2dOptions(o.inChannels, o.outChannels, 3).padding(1)));
  if (o.tembChannels > 0)
    time_emb_proj = register_module("time_emb_proj", AdaptableLinear(o.tembChannels, o.outChannels));
  norm2 =
      register_module("norm2", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, o.outChannels).eps(o.eps)));
  conv2 = register_module("conv2", AdaptableConv2d(Conv2dOptions(o.outChannels, o.outChannels, 3).padding(1)));
  if (o.inChannels != o.outChannels)
    conv_shortcut = register_module("conv_shortcut", AdaptableConv2d(Conv2dOptions(o.inChannels, o.outChannels, 1)));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
  auto h = conv1(F::silu(norm1(x)));
  if (time_emb_proj && temb.defined())
    h = h + time_emb_proj(F::silu(temb)).unsqueeze(-1).unsqueeze(-1);  // [n, c, 1, 1]
  h = conv2(F::silu(norm2(h)));                                        // dropout p = 0 in SD: omitted
  return (conv_shortcut ? conv_shortcut(x) : x) + h;
}

}  // namespace sm::nn
