#pragma once
// Multi-head attention with diffusers' parameter names (to_q, to_k, to_v,
// to_out.0), computed by LibTorch's fused scaled-dot-product attention.
// ref: diffusers@58eb52c0 src/diffusers/models/attention_processor.py (Attention, AttnProcessor2_0)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include <utility>

#include "core/nn/adaptable_layers.h"

namespace sm::nn {

struct AttentionOptions {
  int64_t queryDim = 0;
  /// Width of the context keys and values come from; 0 means self-attention.
  int64_t crossAttentionDim = 0;
  int64_t heads = 8;
  /// UNet and motion-module attention have no q/k/v bias; the VAE's has one.
  bool qkvBias = false;
  bool outBias = true;
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  /// x: [b, n, queryDim]; context: [c, m, crossAttentionDim] or undefined for self-attention.
  /// c may divide b: then each context row serves b / c consecutive rows of x (the frames
  /// of one video), and its keys and values are computed once, not once per frame.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {});

  AdaptableLinear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};  ///< [0] = Linear; diffusers' [1] is dropout, no parameters

 private:
  /// scaled_dot_product_attention, in slices when large and without gradients (see the .cpp).
  torch::Tensor sliced(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
  /// The context's keys and values, [c, heads, m, d] each (reused within a CrossAttentionReuse).
  std::pair<torch::Tensor, torch::Tensor> keysAndValues(const torch::Tensor& context);

  int64_t heads_;
};
TORCH_MODULE(Attention);

}  // namespace sm::nn
