#include "core/adapters/lora_merge.h"

#include <torch/torch.h>

#include "core/engine/tensor_loader.h"
#include "core/util/error.h"

namespace sm::adapters {
namespace {

// [r, in, 1, 1] and [r, in] describe the same matrix.
std::vector<int64_t> squeezeTrailingOnes(std::vector<int64_t> shape) {
  while (shape.size() > 2 && shape.back() == 1) shape.pop_back();
  return shape;
}

struct Planned {
  const LoRAModule* lora;
  torch::Tensor weight;
  torch::Tensor bias;  // defined only when the module has a lora_B bias
};

Planned plan(const LoRAModule& m, const torch::OrderedDict<std::string, torch::Tensor>& params) {
  const torch::Tensor* weight = params.find(m.modulePath + ".weight");
  if (!weight)
    throw CheckpointError(
        "", m.down.name,
        "LoRA module '" + m.key + "' targets '" + m.modulePath + "', which has no weight in the " + m.target);
  const auto w = weight->sizes().vec();
  if (w.size() != 2 && w.size() != 4)
    throw ShapeError(m.modulePath + ".weight", {0, 0}, w);  // LoRA fits Linear and Conv2d only
  const int64_t r = m.rank;
  std::vector<int64_t> expectedDown{r, w[1]};
  expectedDown.insert(expectedDown.end(), w.begin() + 2, w.end());
  if (squeezeTrailingOnes(m.down.shape) != squeezeTrailingOnes(expectedDown))
    throw ShapeError(m.down.name, expectedDown, m.down.shape);
  std::vector<int64_t> expectedUp{w[0], r};
  if (w.size() == 4) expectedUp.insert(expectedUp.end(), {1, 1});
  if (squeezeTrailingOnes(m.up.shape) != squeezeTrailingOnes(expectedUp))
    throw ShapeError(m.up.name, expectedUp, m.up.shape);
  Planned p{&m, *weight, {}};
  if (m.hasUpBias()) {
    const torch::Tensor* bias = params.find(m.modulePath + ".bias");
    if (!bias)
      throw CheckpointError("", m.upBias.name,
                            "LoRA has a bias but '" + m.modulePath + "' has none in the " + m.target);
    if (m.upBias.shape != std::vector<int64_t>{w[0]}) throw ShapeError(m.upBias.name, {w[0]}, m.upBias.shape);
    p.bias = *bias;
  }
  return p;
}

// In place, through fp32 when the parameter is narrower.
void addInPlace(torch::Tensor& param, const torch::Tensor& deltaFp32) {
  if (param.scalar_type() == torch::kFloat32)
    param.add_(deltaFp32);
  else
    param.copy_(param.to(torch::kFloat32).add_(deltaFp32));
}

void apply(torch::nn::Module& target, const std::string& targetName, const std::vector<LoRAModule>& modules,
           double strength) {
  torch::NoGradGuard noGrad;
  const auto params = target.named_parameters(/*recurse=*/true);
  std::vector<Planned> plans;
  for (const auto& m : modules)
    if (m.target == targetName) plans.push_back(plan(m, params));
  if (strength == 0.0) return;
  for (auto& p : plans) {
    const LoRAModule& m = *p.lora;
    const auto fp32 = torch::TensorOptions().dtype(torch::kFloat32).device(p.weight.device());
    const float multiplier = static_cast<float>(strength * m.scale());
    torch::Tensor down = engine::viewTensor(m.down, m.owner).to(fp32).reshape({m.rank, -1});  // [r, in*kh*kw]
    torch::Tensor up = engine::viewTensor(m.up, m.owner).to(fp32).reshape({-1, m.rank});      // [out, r]
    torch::Tensor delta = torch::mm(up, down).mul_(multiplier).reshape(p.weight.sizes());     // [out, in(, kh, kw)]
    addInPlace(p.weight, delta);
    if (p.bias.defined()) addInPlace(p.bias, engine::viewTensor(m.upBias, m.owner).to(fp32).mul(multiplier));
  }
}

}  // namespace

void mergeLoRA(torch::nn::Module& target, const std::string& targetName, const std::vector<LoRAModule>& modules,
               float strength) {
  apply(target, targetName, modules, strength);
}

void unmergeLoRA(torch::nn::Module& target, const std::string& targetName, const std::vector<LoRAModule>& modules,
                 float strength) {
  apply(target, targetName, modules, -static_cast<double>(strength));
}

std::unordered_set<std::string> weightModulePaths(const torch::nn::Module& module) {
  std::unordered_set<std::string> paths;
  const std::string suffix = ".weight";
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      paths.insert(name.substr(0, name.size() - suffix.size()));
  }
  return paths;
}

}  // namespace sm::adapters
