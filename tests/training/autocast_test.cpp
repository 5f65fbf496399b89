// The autocast guard: it changes nothing on the CPU, and for a CUDA device
// sets and restores autocast's thread-local state (no GPU needed for that).
#include "core/training/autocast.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/nn/autocast_state.h"

namespace sm::training {
namespace {

TEST(Autocast, CpuGuardChangesNothing) {
  const nn::AutocastState before = nn::AutocastState::current();
  auto a = torch::randn({4, 4});
  {
    AutocastGuard guard(torch::kCPU);
    EXPECT_FALSE(guard.active());
    EXPECT_FALSE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA), before.cudaEnabled);
    EXPECT_EQ(torch::matmul(a, a).scalar_type(), torch::kFloat32);
  }
  EXPECT_EQ(at::autocast::is_autocast_enabled(c10::DeviceType::CUDA), before.cudaEnabled);
  EXPECT_EQ(at::autocast::get_autocast_dtype(c10::DeviceType::CUDA), before.cudaDtype);
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

}  // namespace
}  // namespace sm::training
