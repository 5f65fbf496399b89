#include "core/engine/device.h"

#include <torch/torch.h>

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

}  // namespace sm::engine
