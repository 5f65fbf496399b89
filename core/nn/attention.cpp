#include "core/nn/attention.h"

#include <ATen/ops/scaled_dot_product_attention.h>

namespace sm::nn {

AttentionImpl::AttentionImpl(const AttentionOptions& o) : heads_(o.heads) {
  TORCH_CHECK(o.heads > 0 && o.queryDim % o.heads == 0, "attention width ", o.queryDim, " not divisible by ", o.heads,
              " heads");
  const int64_t kvDim = o.crossAttentionDim > 0 ? o.crossAttentionDim : o.queryDim;
  to_q = register_module("to_q", AdaptableLinear(torch::nn::LinearOptions(o.queryDim, o.queryDim).bias(o.qkvBias)));
  to_k = register_module("to_k", AdaptableLinear(torch::nn::LinearOptions(kvDim, o.queryDim).bias(o.qkvBias)));
  to_v = register_module("to_v", AdaptableLinear(torch::nn::LinearOptions(kvDim, o.queryDim).bias(o.qkvBias)));
  to_out = register_module(
      "to_out",
      torch::nn::ModuleList(AdaptableLinear(torch::nn::LinearOptions(o.queryDim, o.queryDim).bias(o.outBias))));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const torch::Tensor& kv = context.defined() ? context : x;
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  const int64_t d = c / heads_;
  // Heads split the channel axis into contiguous chunks.
  auto q = to_q(x).view({b, n, heads_, d}).transpose(1, 2);            // [b, h, n, d]
  auto k = to_k(kv).view({b, kv.size(1), heads_, d}).transpose(1, 2);  // [b, h, m, d]
  auto v = to_v(kv).view({b, kv.size(1), heads_, d}).transpose(1, 2);  // [b, h, m, d]
  auto out = at::scaled_dot_product_attention(q, k, v);                // [b, h, n, d]
  out = out.transpose(1, 2).reshape({b, n, c});                        // [b, n, c]
  return to_out[0]->as<AdaptableLinear>()->forward(out);
}

}  // namespace sm::nn
