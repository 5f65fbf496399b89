#pragma once
// A module that is nothing but named weights: `add("a.b.weight", t)` creates
// the child modules "a" and "a.b", so named_parameters() yields exactly the
// names given. It stands in for a network when only its weights matter
// (LoRA merging, weight blending, tests) and lets adapters work on any module
// whose parameter names are diffusers names.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <string>

#include "core/io/state_dict_index.h"

namespace sm::adapters {

class NamedWeightsImpl : public torch::nn::Module {
 public:
  NamedWeightsImpl() = default;

  /// Registers `tensor` as parameter `name` (dotted path); throws ConfigError
  /// when the name is empty, has an empty segment or is already taken.
  torch::Tensor& add(const std::string& name, torch::Tensor tensor, bool requiresGrad = false);
};
TORCH_MODULE(NamedWeights);

/// Every tensor of `weights` accepted by `filter` (all when empty), copied to
/// `options` (dtype, device), as a NamedWeights module.
NamedWeights namedWeightsFrom(const io::StateDictIndex& weights, const torch::TensorOptions& options,
                              const std::function<bool(const std::string&)>& filter = {});

}  // namespace sm::adapters
