#include "core/models/load_weights.h"

#include <torch/torch.h>

#include "core/engine/tensor_loader.h"
#include "core/util/error.h"

namespace sm::models {

LoadReport loadWeights(torch::nn::Module& module, const io::StateDictIndex& weights, const LoadOptions& options) {
  torch::NoGradGuard noGrad;
  LoadReport report;
  std::vector<std::string> missing;
  std::unordered_map<std::string, bool> known;
  auto loadOne = [&](const std::string& name, torch::Tensor& target) {
    known[name] = true;
    const io::TensorInfo* info = weights.find(name);
    if (!info) {
      if (options.optional && options.optional(name))
        report.leftAtInit.push_back(name);
      else
        missing.push_back(name);
      return;
    }
    if (info->shape != target.sizes().vec()) throw ShapeError(name, target.sizes().vec(), info->shape);
    if (options.target && target.is_floating_point() &&
        (target.scalar_type() != options.target->dtype().toScalarType() ||
         target.device() != options.target->device())) {
      // Swap in storage on the target device/dtype; the old (init) storage is freed here.
      target.set_data(torch::empty(target.sizes(), *options.target));
    }
    target.copy_(engine::viewTensor(*info, weights.owner));
    ++report.loaded;
  };
  for (auto& item : module.named_parameters(/*recurse=*/true)) loadOne(item.key(), item.value());
  for (auto& item : module.named_buffers(/*recurse=*/true)) loadOne(item.key(), item.value());
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) list += (i ? ", '" : "'") + missing[i] + "'";
    if (missing.size() > 10) list += " and " + std::to_string(missing.size() - 10) + " more";
    throw CheckpointError(weights.path, std::to_string(missing.size()) + " weights missing: " + list);
  }
  // Optional parameters left at their initial values follow the loaded ones (a no-op for those).
  if (options.target) module.to(options.target->device(), options.target->dtype().toScalarType());
  for (const auto& t : weights.tensors())
    if (!known.count(t.name) && !(options.ignore && options.ignore(t.name))) report.unexpected.push_back(t.name);
  return report;
}

}  // namespace sm::models
