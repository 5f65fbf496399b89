// Full SD 1.5 size: a generated single-file LDM checkpoint (UNet only) and a
// generated v2 motion module in the original naming, random fp16 values with
// fan-in scaling, loaded in fp32 on the CPU and run for one step at 16 frames
// of 32x32 latents. Needs ~8 GB of memory and a minute or two: filter with
// --gtest_filter='-FullSize*' to skip it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/io/safetensors.h"
#include "core/models/unet/unet_loader.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

double peakRssGiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB on Linux
}

// Writes every tensor of a keylist with random fp16 values: matrices N(0, 1/fan_in),
// norm weights near 1, biases and 1-D tensors near 0, so activations stay finite.
void writeRandomCheckpoint(const std::string& keylist, const std::string& path) {
  const io::StateDictIndex keys = test::readKeylist(keylist);
  std::vector<torch::Tensor> data;
  std::vector<io::TensorView> views;
  data.reserve(keys.size());
  for (const auto& t : keys.tensors()) {
    torch::Tensor x = torch::randn(t.shape, torch::kFloat32);
    if (t.shape.size() >= 2) {
      x = x * (1.0 / std::sqrt(static_cast<double>(x.numel() / t.shape[0])));
    } else {
      const bool normWeight = t.name.size() > 7 && t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
      x = normWeight ? 1.0 + 0.02 * x : 0.02 * x;
    }
    data.push_back(x.to(torch::kFloat16).contiguous());
    views.push_back({t.name, io::DType::F16, t.shape, data.back().data_ptr()});
  }
  io::writeSafetensors(path, views);
}

TEST(FullSize, UNet3DStepFromGeneratedLdmCheckpointAndV2Module) {
  test::TempDir dir("sm_full_size_unet");  // the generated files take 2.6 GB
  const std::string ckpt = (dir.path() / "sd15_random_ldm.safetensors").string();
  const std::string mm = (dir.path() / "mm_random_v2.safetensors").string();
  torch::manual_seed(0);
  auto t0 = std::chrono::steady_clock::now();
  writeRandomCheckpoint("keylists/sd15_unet_ldm.txt", ckpt);
  writeRandomCheckpoint("keylists/animatediff_v2_original_ckpt.txt", mm);
  auto t1 = std::chrono::steady_clock::now();
  std::printf("[ FullSize ] generated %.2f GB + %.2f GB in %.1f s, peak RSS %.2f GiB\n",
              static_cast<double>(fs::file_size(ckpt)) / 1e9, static_cast<double>(fs::file_size(mm)) / 1e9,
              std::chrono::duration<double>(t1 - t0).count(), peakRssGiB());
  std::fflush(stdout);

  models::UNet3DLoadReport report;
  auto model = models::loadUNet3D(ckpt, mm, {}, &report);
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(report.unetNaming, "ldm");
  EXPECT_EQ(report.motionNaming, "original");
  EXPECT_TRUE(report.unexpected.empty());
  ASSERT_TRUE(model->hasMotionModules());
  EXPECT_EQ(model->motionConfig()->version, models::MotionModuleVersion::V2);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  EXPECT_EQ(params, 859'520'964 + 453'209'280);  // ARCHITECTURE_FACTS §10
  std::printf("[ FullSize ] loaded %zu tensors (%lld parameters, fp32) in %.1f s, peak RSS %.2f GiB\n", report.loaded,
              static_cast<long long>(params), std::chrono::duration<double>(t2 - t1).count(), peakRssGiB());
  std::fflush(stdout);
  fs::remove_all(dir.path());  // the weights are in the model now

  torch::NoGradGuard noGrad;
  auto latents = torch::randn({1, 4, 16, 32, 32});
  auto context = torch::randn({1, 77, 768});
  auto t3 = std::chrono::steady_clock::now();
  auto out = model(latents, torch::tensor({999}), context);
  auto t4 = std::chrono::steady_clock::now();
  EXPECT_EQ(out.sizes(), latents.sizes());
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  std::printf("[ FullSize ] one step [1, 4, 16, 32, 32]: %.1f s on %d threads, peak RSS %.2f GiB\n",
              std::chrono::duration<double>(t4 - t3).count(), torch::get_num_threads(), peakRssGiB());
}

}  // namespace
}  // namespace sm
