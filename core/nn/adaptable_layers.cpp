#include "core/nn/adaptable_layers.h"

#include <algorithm>

namespace sm::nn {

void AdapterSlot::add(std::shared_ptr<LayerAdapter> adapter) {
  TORCH_CHECK(adapter, "AdapterSlot::add: null adapter");
  adapters_.push_back(std::move(adapter));
}

bool AdapterSlot::remove(const LayerAdapter* adapter) {
  const auto it = std::find_if(adapters_.begin(), adapters_.end(), [&](const auto& a) { return a.get() == adapter; });
  if (it == adapters_.end()) return false;
  adapters_.erase(it);
  return true;
}

torch::Tensor AdapterSlot::apply(const torch::Tensor& input, torch::Tensor output) const {
  for (const auto& adapter : adapters_) output = adapter->adapt(input, output);
  return output;
}

torch::Tensor AdaptableLinearImpl::forward(const torch::Tensor& input) {
  torch::Tensor output = torch::nn::LinearImpl::forward(input);
  return adapters.empty() ? output : adapters.apply(input, std::move(output));
}

torch::Tensor AdaptableConv2dImpl::forward(const torch::Tensor& input) {
  torch::Tensor output = torch::nn::Conv2dImpl::forward(input);
  return adapters.empty() ? output : adapters.apply(input, std::move(output));
}

}  // namespace sm::nn
