#include "core/nn/cross_attention_reuse.h"

namespace sm::nn {
namespace {

thread_local CrossAttentionReuse* currentReuse = nullptr;

}  // namespace

CrossAttentionReuse::CrossAttentionReuse() : outer_(currentReuse) { currentReuse = this; }
CrossAttentionReuse::~CrossAttentionReuse() { currentReuse = outer_; }
CrossAttentionReuse* CrossAttentionReuse::current() { return currentReuse; }

const std::pair<torch::Tensor, torch::Tensor>* CrossAttentionReuse::find(const void* layer,
                                                                         const torch::Tensor& context) {
  const auto found = entries_.find(layer);
  if (found == entries_.end() || !found->second.context.is_same(context)) return nullptr;
  ++reused_;
  return &found->second.keysAndValues;
}

void CrossAttentionReuse::keep(const void* layer, const torch::Tensor& context,
                               std::pair<torch::Tensor, torch::Tensor> keysAndValues) {
  entries_[layer] = Entry{context, std::move(keysAndValues)};
  ++computed_;
}

}  // namespace sm::nn
