#include "core/nn/attention.h"

#include <ATen/ops/scaled_dot_product_attention.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "core/jobs/job.h"
#include "core/nn/cross_attention_reuse.h"

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

namespace {

// Multiply-adds per slice: about a second on two CPU cores.
constexpr double kSliceWork = 4e9;

}  // namespace

torch::Tensor AttentionImpl::sliced(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  // One attention over many large frames takes minutes on a CPU (32 frames of 4096
  // tokens): without gradients it runs in slices, with a cancellation check between
  // them. Every batch element and every query row is computed on its own, so the
  // slices give exactly the values of one call. With gradients (training) it is one
  // call: gradient checkpointing runs blocks again in the backward pass, where
  // nothing may throw.
  const double work = 2.0 * static_cast<double>(q.numel()) * static_cast<double>(k.size(2));
  if (torch::GradMode::is_enabled() || work <= kSliceWork) return at::scaled_dot_product_attention(q, k, v);
  const int64_t slices = static_cast<int64_t>(std::ceil(work / kSliceWork));
  const bool byBatch = q.size(0) >= slices;  // else query rows: a few huge images
  const int64_t length = byBatch ? q.size(0) : q.size(2);
  const int64_t step = std::max<int64_t>(1, (length + slices - 1) / slices);
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < length; start += step) {
    jobs::throwIfCancelledHere();
    const int64_t end = std::min(length, start + step);
    parts.push_back(byBatch ? at::scaled_dot_product_attention(q.slice(0, start, end), k.slice(0, start, end),
                                                               v.slice(0, start, end))
                            : at::scaled_dot_product_attention(q.slice(2, start, end), k, v));
  }
  return torch::cat(parts, byBatch ? 0 : 2);
}

std::pair<torch::Tensor, torch::Tensor> AttentionImpl::keysAndValues(const torch::Tensor& context) {
  const int64_t c = context.size(0), m = context.size(1);
  const int64_t d = to_q->options.out_features() / heads_;
  const auto project = [&] {
    // Heads split the channel axis into contiguous chunks.
    return std::make_pair(to_k(context).view({c, m, heads_, d}).transpose(1, 2),   // [c, h, m, d]
                          to_v(context).view({c, m, heads_, d}).transpose(1, 2));  // [c, h, m, d]
  };
  CrossAttentionReuse* reuse = CrossAttentionReuse::current();
  if (!reuse || torch::GradMode::is_enabled()) return project();
  if (const auto* kept = reuse->find(this, context)) return *kept;
  auto kv = project();
  reuse->keep(this, context, kv);
  return kv;
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  const int64_t d = c / heads_;
  auto q = to_q(x).view({b, n, heads_, d}).transpose(1, 2);  // [b, h, n, d]
  torch::Tensor k, v;
  if (context.defined()) {
    const int64_t rows = context.size(0);
    TORCH_CHECK(rows > 0 && b % rows == 0, "attention: ", rows, " context rows for ", b, " queries' rows");
    std::tie(k, v) = keysAndValues(context);
    if (rows != b) {  // one context row per video: the same keys and values for each of its frames
      k = k.repeat_interleave(b / rows, 0);
      v = v.repeat_interleave(b / rows, 0);
    }
  } else {
    k = to_k(x).view({b, n, heads_, d}).transpose(1, 2);  // [b, h, n, d]
    v = to_v(x).view({b, n, heads_, d}).transpose(1, 2);
  }
  auto out = sliced(q, k, v);                    // [b, h, n, d]
  out = out.transpose(1, 2).reshape({b, n, c});  // [b, n, c]
  return to_out[0]->as<AdaptableLinear>()->forward(out);
}

}  // namespace sm::nn
