#include "core/adapters/named_weights.h"

#include <torch/torch.h>

#include "core/engine/tensor_loader.h"
#include "core/util/error.h"

namespace sm::adapters {

torch::Tensor& NamedWeightsImpl::add(const std::string& name, torch::Tensor tensor, bool requiresGrad) {
  torch::nn::Module* parent = this;
  size_t start = 0;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
    const std::string segment = name.substr(start, dot - start);
    if (segment.empty()) throw ConfigError("weight name '" + name + "' has an empty segment");
    auto children = parent->named_children();
    if (auto* child = children.find(segment)) {
      parent = child->get();
    } else {
      parent = parent->register_module(segment, std::make_shared<torch::nn::Module>()).get();
    }
    start = dot + 1;
  }
  const std::string leaf = name.substr(start);
  if (leaf.empty()) throw ConfigError("weight name '" + name + "' has an empty segment");
  if (parent->named_parameters(/*recurse=*/false).contains(leaf))
    throw ConfigError("weight '" + name + "' is added twice");
  return parent->register_parameter(leaf, std::move(tensor), requiresGrad);
}

NamedWeights namedWeightsFrom(const io::StateDictIndex& weights, const torch::TensorOptions& options,
                              const std::function<bool(const std::string&)>& filter) {
  NamedWeights module;
  for (const auto& t : weights.tensors())
    if (!filter || filter(t.name)) module->add(t.name, engine::loadTensor(t, weights.owner, options));
  return module;
}

}  // namespace sm::adapters
