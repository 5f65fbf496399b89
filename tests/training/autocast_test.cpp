// The autocast guard: disabled it changes nothing; on the CPU it runs matmuls in
// bf16; for a CUDA device it sets and restores autocast's thread-local state (no
// GPU needed for that).
#include "core/training/autocast.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/nn/autocast_state.h"

namespace sm::training {
namespace {

TEST(Autocast, DisabledGuardChangesNothing) {
  const nn::AutocastState before = nn::AutocastState::current();
  auto a = torch::randn({4, 4});
  {
    AutocastGuard guard(torch::kCPU, torch::kBFloat16, /*enabled=*/false);
    EXPECT_FALSE(guard.active());
    EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);
  }
  EXPECT_EQ(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA), before.cudaEnabled);
  EXPECT_EQ(at::autocast::get_autocast_dtype(c10::DeviceType::CUDA), before.cudaDtype);
}

// CPU training in bf16 (--precision bf16, or auto on CPUs with AMX or AVX512-BF16).
TEST(Autocast, CpuGuardRunsMatmulsInBf16AndRestoresTheThreadState) {
  const nn::AutocastState before = nn::AutocastState::current();
  auto a = torch::randn({4, 4});
  {
    AutocastGuard guard(torch::kCPU);
    EXPECT_TRUE(guard.active());
    EXPECT_TRUE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kBFloat16);
    EXPECT_EQ(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA), before.cudaEnabled);
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
  EXPECT_EQ(at::autocast::get_autocast_dtype(c10::DeviceType::CPU), before.cpuDtype);
  EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);
}

TEST(Autocast, CudaGuardSetsAndRestoresTheThreadState) {
  const auto previousDtype = at::autocast::get_autocast_dtype(c10::DeviceType::CUDA);
  {
    AutocastGuard guard(torch::Device(torch::kCUDA, 0));
    EXPECT_TRUE(guard.active());
    EXPECT_TRUE(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA));
    EXPECT_EQ(at::autocast::get_autocast_dtype(c10::DeviceType::CUDA), torch::kBFloat16);
    {
      AutocastGuard off(torch::Device(torch::kCUDA, 0), torch::kBFloat16, /*enabled=*/false);
      EXPECT_FALSE(off.active());
      EXPECT_TRUE(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA));
    }
    // CPU ops are untouched by CUDA autocast.
    auto a = torch::randn({4, 4});
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA));
  EXPECT_EQ(at::autocast::get_autocast_dtype(c10::DeviceType::CUDA), previousDtype);
}

TEST(Autocast, StateGuardRestoresWhatWasThere) {
  nn::AutocastState target;
  target.cudaEnabled = true;
  target.cudaDtype = torch::kBFloat16;
  {
    nn::AutocastStateGuard guard(target);
    EXPECT_TRUE(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA));
    EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA));
}

// A checkpoint's recompute in backward applies the forward's autocast with this guard,
// outside any other region; the bf16 copy of a trainable weight it makes must not outlive
// it, or the next step (after the optimizer changed the weight in place) runs on the old one.
TEST(Autocast, StateGuardDropsTheCastsOfTrainableWeightsItMade) {
  auto weight = torch::ones({4, 4}).requires_grad_(true);  // a leaf: autocast caches its cast
  const auto x = torch::ones({1, 4});
  nn::AutocastState cpu;
  cpu.cpuEnabled = true;
  cpu.cpuDtype = torch::kBFloat16;
  {
    nn::AutocastStateGuard recompute(cpu);
    EXPECT_EQ(torch::matmul(x, weight)[0][0].item<float>(), 4.0f);
  }
  {
    torch::NoGradGuard noGrad;
    weight.mul_(2);  // the optimizer's in-place update
  }
  AutocastGuard nextStep(torch::kCPU);
  EXPECT_EQ(torch::matmul(x, weight)[0][0].item<float>(), 8.0f) << "a stale bf16 copy of the weight was used";
}

}  // namespace
}  // namespace sm::training
