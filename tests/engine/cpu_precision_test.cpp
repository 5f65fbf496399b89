// The CPU's bf16 support is found at run time and decides what `--dtype auto`
// picks there; around a bf16 UNet the text encoder, VAE and latents stay fp32.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/engine/cpu_features.h"
#include "core/engine/device.h"
#include "core/engine/system_report.h"

namespace sm::engine {
namespace {

/// The flags of the first processor in /proc/cpuinfo (empty where there is none).
std::set<std::string> kernelFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

// cpuid read by hand against the kernel's own reading: a wrong bit or leaf shows here
// on every CPU that has the feature (and on every one that has not).
TEST(CpuFeatures, AgreeWithTheKernelsFlags) {
  const std::set<std::string> flags = kernelFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const CpuFeatures& f = cpuFeatures();
  EXPECT_EQ(f.avx2, flags.count("avx2") == 1);
  EXPECT_EQ(f.avx512f, flags.count("avx512f") == 1);
  EXPECT_EQ(f.avx512Bf16, flags.count("avx512_bf16") == 1);
  EXPECT_EQ(f.amxBf16, flags.count("amx_bf16") == 1 && flags.count("amx_tile") == 1);
  EXPECT_EQ(f.fastBf16(), f.avx512Bf16 || f.amxBf16);
  EXPECT_NE(f.summary().find(f.avx2 ? "avx2" : "none of"), std::string::npos) << f.summary();
}

TEST(Dtype, AutoOnTheCpuIsBf16ExactlyWhereTheCpuHasFastBf16) {
  const torch::ScalarType picked = selectDtype("auto", torch::kCPU);
  EXPECT_EQ(picked, cpuFeatures().fastBf16() ? torch::kBFloat16 : torch::kFloat32);
  EXPECT_NE(describeSystem().find(cpuFeatures().fastBf16() ? "auto: bf16 UNet" : "auto: fp32"), std::string::npos)
      << describeSystem();
  // Explicit choices are kept on every CPU.
  EXPECT_EQ(selectDtype("fp32", torch::kCPU), torch::kFloat32);
  EXPECT_EQ(selectDtype("bf16", torch::kCPU), torch::kBFloat16);
}

TEST(Dtype, AroundTheUNetIsFp32OnTheCpuAndTheUNetsOnCuda) {
  EXPECT_EQ(dtypeAroundUNet(torch::kBFloat16, torch::kCPU), torch::kFloat32);
  EXPECT_EQ(dtypeAroundUNet(torch::kFloat32, torch::kCPU), torch::kFloat32);
  const torch::Device gpu(torch::kCUDA, 0);  // a device name needs no GPU
  EXPECT_EQ(dtypeAroundUNet(torch::kFloat16, gpu), torch::kFloat16);
  EXPECT_EQ(dtypeAroundUNet(torch::kBFloat16, gpu), torch::kBFloat16);
}

}  // namespace
}  // namespace sm::engine
