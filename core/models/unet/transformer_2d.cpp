#include "core/models/unet/transformer_2d.h"

namespace sm::models {

BasicTransformerBlockImpl::BasicTransformerBlockImpl(const BasicTransformerBlockOptions& o) {
  using torch::nn::LayerNormOptions;
  // LayerNorm eps 1e-5 (PyTorch's default, as diffusers uses).
  norm1 = register_module("norm1", torch::nn::LayerNorm(LayerNormOptions({o.dim}).eps(1e-5)));
  attn1 = register_module("attn1", nn::Attention(nn::AttentionOptions{o.dim, 0, o.heads, false, true}));
  norm2 = register_module("norm2", torch::nn::LayerNorm(LayerNormOptions({o.dim}).eps(1e-5)));
  attn2 =
      register_module("attn2", nn::Attention(nn::AttentionOptions{o.dim, o.crossAttentionDim, o.heads, false, true}));
  norm3 = register_module("norm3", torch::nn::LayerNorm(LayerNormOptions({o.dim}).eps(1e-5)));
  ff = register_module("ff", nn::FeedForward(o.dim));
  if (o.numPositionalEmbeddings > 0)
    pos_embed = register_module("pos_embed", nn::SinusoidalPositionalEmbedding(o.dim, o.numPositionalEmbeddings));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  // In x's dtype (not the norms' output's, which autocast may keep in float32).
  const torch::Tensor positions = pos_embed ? pos_embed(x.size(1), x) : torch::Tensor();  // [1, n, dim]
  auto n = norm1(x);
  if (positions.defined()) n = n + positions;
  auto h = x + attn1(n);
  n = norm2(h);
  if (positions.defined()) n = n + positions;
  h = h + attn2(n, context);
  return h + ff(norm3(h));
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DOptions& o) {
  const int64_t c = o.channels;
  // GroupNorm eps is hard-coded to 1e-6 in diffusers' Transformer2DModel.
  norm = register_module("norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, c).eps(1e-6)));
  if (o.useLinearProjection)
    projInLinear = register_module("proj_in", nn::AdaptableLinear(c, c));
  else
    projInConv = register_module("proj_in", nn::AdaptableConv2d(torch::nn::Conv2dOptions(c, c, 1)));
  transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.layers; ++i)
    transformer_blocks->push_back(BasicTransformerBlock(BasicTransformerBlockOptions{c, o.heads, o.crossAttentionDim}));
  if (o.useLinearProjection)
    projOutLinear = register_module("proj_out", nn::AdaptableLinear(c, c));
  else
    projOutConv = register_module("proj_out", nn::AdaptableConv2d(torch::nn::Conv2dOptions(c, c, 1)));
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const int64_t n = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
  auto h = norm(x);
  // The conv projection runs before flattening, the linear one after (same result, different weights' shape).
  if (projInConv) h = projInConv(h);
  h = h.permute({0, 2, 3, 1}).reshape({n, height * width, c});  // [n, h*w, c], token = y*w + x
  if (projInLinear) h = projInLinear(h);
  for (const auto& block : *transformer_blocks) h = block->as<BasicTransformerBlock>()->forward(h, context);
  if (projOutLinear) h = projOutLinear(h);
  h = h.reshape({n, height, width, c}).permute({0, 3, 1, 2}).contiguous();  // [n, c, h, w]
  if (projOutConv) h = projOutConv(h);
  return h + x;
}

}  // namespace sm::models
