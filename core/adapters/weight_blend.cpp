#include "core/adapters/weight_blend.h"

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <unordered_set>

#include "core/engine/tensor_loader.h"
#include "core/util/error.h"

namespace sm::adapters {
namespace {

using Combine = std::function<void(torch::Tensor& param, const torch::Tensor& custom)>;

BlendReport blend(torch::nn::Module& base, const io::StateDictIndex& customized, const Combine& combine) {
  torch::NoGradGuard noGrad;
  BlendReport report;
  std::unordered_set<std::string> known;
  for (auto& item : base.named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    known.insert(name);
    if (isMotionModuleParameter(name)) {
      ++report.motionKept;
      continue;
    }
    const io::TensorInfo* info = customized.find(name);
    if (!info) {
      report.missing.push_back(name);
      continue;
    }
    torch::Tensor& param = item.value();
    if (info->shape != param.sizes().vec()) {
      report.shapeMismatch.push_back(name + ": " + shapeToString(param.sizes().vec()) + " vs " +
                                     shapeToString(info->shape));
      continue;
    }
    if (combine) combine(param, engine::viewTensor(*info, customized.owner));
    ++report.replaced;
  }
  for (const auto& t : customized.tensors()) {
    if (isMotionModuleParameter(t.name))
      report.motionInFile.push_back(t.name);
    else if (!known.count(t.name))
      report.unknown.push_back(t.name);
  }
  return report;
}

}  // namespace

bool isMotionModuleParameter(const std::string& name) {
  return name.find(".motion_modules.") != std::string::npos || name.rfind("motion_modules.", 0) == 0;
}

BlendReport injectCustomizedWeights(torch::nn::Module& base, const io::StateDictIndex& customized) {
  return blend(base, customized, [](torch::Tensor& param, const torch::Tensor& custom) { param.copy_(custom); });
}

BlendReport interpolateWeights(torch::nn::Module& base, const io::StateDictIndex& customized, float lambda) {
  if (!std::isfinite(lambda)) throw ConfigError("interpolation lambda must be finite");
  if (lambda == 0.0f) return blend(base, customized, {});
  if (lambda == 1.0f) return injectCustomizedWeights(base, customized);
  const double keep = 1.0 - static_cast<double>(lambda);
  return blend(base, customized, [&](torch::Tensor& param, const torch::Tensor& custom) {
    const auto fp32 = torch::TensorOptions().dtype(torch::kFloat32).device(param.device());
    torch::Tensor blended = param.to(fp32, /*non_blocking=*/false, /*copy=*/true);
    blended.mul_(keep).add_(custom.to(fp32), lambda);
    param.copy_(blended);
  });
}

}  // namespace sm::adapters
