#include "core/engine/runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/util/error.h"

namespace sm::engine {

int physicalCoreCount() {
  // Count distinct (physical id, core id) pairs; fall back to logical CPUs.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, physical = "0";
  while (std::getline(cpuinfo, line)) {
    auto value = [&] { return line.substr(line.find(':') + 1); };
    if (line.rfind("physical id", 0) == 0) physical = value();
    if (line.rfind("core id", 0) == 0) cores.emplace(physical, value());
  }
  if (!cores.empty()) return static_cast<int>(cores.size());
  return std::max(1u, std::thread::hardware_concurrency());
}

int configureThreads(int threads) {
  const int n = threads > 0 ? threads : physicalCoreCount();
  torch::set_num_threads(n);
  return torch::get_num_threads();
}

std::string loadCudaBackend() {
  static std::string reason = [] {
    // libtorch_cuda registers the CUDA backend when loaded; it sits beside libtorch_cpu.
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&torch::set_num_threads), &info) || !info.dli_fname)
      return std::string("cannot locate LibTorch on disk");
    const auto dir = std::filesystem::path(info.dli_fname).parent_path();
    const auto cudaLib = dir / "libtorch_cuda.so";
    if (!std::filesystem::exists(cudaLib)) return std::string("this LibTorch has no CUDA backend");
    if (!dlopen(cudaLib.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
      const char* err = dlerror();
      return "CUDA backend present but not loadable (" + std::string(err ? err : "?") +
             "); install torch with its CUDA wheels (SM_TORCH_FULL=1 packaging/setup.sh)";
    }
    return std::string();
  }();
  return reason;
}

int threadCount() { return torch::get_num_threads(); }

bool cudaUsable() { return loadCudaBackend().empty() && torch::cuda::is_available(); }

uint64_t freeCudaMemory() {
  if (!cudaUsable()) return 0;
  // libtorch_cuda was loaded with RTLD_GLOBAL, and the CUDA runtime with it: found by name,
  // without a link-time dependency on CUDA (one build runs on CPU-only machines too).
  using MemGetInfo = int (*)(size_t*, size_t*);
  const auto memGetInfo = reinterpret_cast<MemGetInfo>(dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
  size_t free = 0, total = 0;
  if (!memGetInfo || memGetInfo(&free, &total) != 0) return 0;
  return free;
}

std::string libtorchVersion() { return TORCH_VERSION; }

}  // namespace sm::engine
