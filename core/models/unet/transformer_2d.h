#pragma once
// The spatial transformer of the SD UNet (diffusers Transformer2DModel,
// continuous input) and the BasicTransformerBlock it shares with AnimateDiff's
// motion modules. Keys: norm, proj_in, transformer_blocks.N.{norm1, attn1,
// norm2, attn2, norm3, ff}, proj_out.
// ref: diffusers v0.35.2 src/diffusers/models/transformers/transformer_2d.py:464-512 (continuous input path)
// ref: diffusers v0.35.2 src/diffusers/models/attention.py:742-1072 (BasicTransformerBlock, norm_type "layer_norm")
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/nn/adaptable_layers.h"
#include "core/nn/attention.h"
#include "core/nn/feed_forward.h"
#include "core/nn/positional_embedding.h"

namespace sm::models {

struct BasicTransformerBlockOptions {
  int64_t dim = 0;
  int64_t heads = 8;
  /// Width of the context attn2 reads; 0 makes attn2 a second self-attention (motion modules).
  int64_t crossAttentionDim = 0;
  /// diffusers' num_positional_embeddings: > 0 gives the block a sinusoidal
  /// position table (`pos_embed.pe`) of that many rows (motion modules).
  int64_t numPositionalEmbeddings = 0;
};

class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  explicit BasicTransformerBlockImpl(const BasicTransformerBlockOptions& options);
  /// x: [b, n, dim]; context: [b, m, crossAttentionDim] or undefined. With a
  /// position table, its first n rows are added to the normalised input of both
  /// attentions (AnimateDiff's sinusoidal encoding), not to the residual stream or the FF.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {});

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  nn::Attention attn1{nullptr}, attn2{nullptr};
  nn::FeedForward ff{nullptr};
  /// Only with numPositionalEmbeddings > 0.
  nn::SinusoidalPositionalEmbedding pos_embed{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DOptions {
  int64_t channels = 0;
  int64_t heads = 8;
  int64_t crossAttentionDim = 768;
  int64_t layers = 1;
  int64_t groups = 32;
  /// SD 2 style Linear proj_in/proj_out instead of SD 1.5's 1x1 convs.
  bool useLinearProjection = false;
};

class Transformer2DModelImpl : public torch::nn::Module {
 public:
  explicit Transformer2DModelImpl(const Transformer2DOptions& options);
  /// x: [n, c, h, w]; context: [n, 77, crossAttentionDim]. Returns [n, c, h, w].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

  torch::nn::GroupNorm norm{nullptr};
  /// Exactly one of each pair is set, by useLinearProjection.
  nn::AdaptableConv2d projInConv{nullptr}, projOutConv{nullptr};
  nn::AdaptableLinear projInLinear{nullptr}, projOutLinear{nullptr};
  torch::nn::ModuleList transformer_blocks{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace sm::models
