#include "core/engine/system_report.h"

#include <sstream>

#include "core/engine/cpu_features.h"
#include "core/engine/runtime.h"

namespace sm::engine {

std::string describeSystem() {
  const CpuFeatures& cpu = cpuFeatures();
  std::ostringstream s;
  s << "LibTorch: " << libtorchVersion() << "\n";
  s << "CPU: " << (cpu.brand.empty() ? std::string("unknown") : cpu.brand) << "\n";
  s << "CPU features: " << cpu.summary() << "\n";
  s << "threads: " << threadCount() << " (physical cores: " << physicalCoreCount() << ")\n";
  s << "CPU precision for --dtype auto: "
    << (cpu.fastBf16() ? std::string("bf16 UNet (") + (cpu.amxBf16 ? "AMX" : "AVX512-BF16") +
                             "), fp32 text encoder, VAE and sampler"
                       : std::string("fp32 (neither AMX nor AVX512-BF16)"))
    << "\n";
  const std::string why = loadCudaBackend();
  s << "CUDA: " << (why.empty() ? (cudaUsable() ? "usable (auto runs fp16 on it)" : "no device found") : why) << "\n";
  return s.str();
}

}  // namespace sm::engine
