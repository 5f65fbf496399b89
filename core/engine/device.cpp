#include "core/engine/device.h"

#include <torch/torch.h>

#include "core/engine/cpu_features.h"
#include "core/engine/runtime.h"
#include "core/util/error.h"

namespace sm::engine {

torch::Device selectDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name != "auto" && name != "cuda") throw ConfigError("--device must be auto, cpu or cuda, not '" + name + "'");
  const std::string why = loadCudaBackend();
  if (why.empty() && torch::cuda::is_available()) return torch::Device(torch::kCUDA, 0);
  if (name == "cuda") throw ConfigError("no usable CUDA GPU: " + (why.empty() ? std::string("no device found") : why));
  return torch::kCPU;
}

torch::ScalarType selectDtype(const std::string& name, torch::Device device) {
  if (name == "auto") {
    if (device.is_cuda()) return torch::kFloat16;
    return cpuFeatures().fastBf16() ? torch::kBFloat16 : torch::kFloat32;
  }
  if (name == "fp32") return torch::kFloat32;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp16") {
    if (!device.is_cuda()) throw ConfigError("--dtype fp16 needs a CUDA GPU; on the CPU use fp32 or bf16");
    return torch::kFloat16;
  }
  throw ConfigError("--dtype must be auto, fp32, fp16 or bf16, not '" + name + "'");
}

torch::ScalarType dtypeAroundUNet(torch::ScalarType unetDtype, torch::Device device) {
  return device.is_cuda() ? unetDtype : torch::kFloat32;
}

std::string dtypeName(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return "fp32";
    case torch::kFloat16: return "fp16";
    case torch::kBFloat16: return "bf16";
    default: return c10::toString(dtype);
  }
}

}  // namespace sm::engine
