// The diffusion training loss on the tiny video UNet.
#include "core/training/diffusion_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "core/models/unet/unet_loader.h"

namespace sm::training {
namespace {

std::string fixture(const std::string& name) { return std::string(SM_TEST_DATA_DIR) + "/fixtures/" + name; }

class DiffusionLossTest : public ::testing::Test {
 protected:
  static models::UNet3D& unet() {
    static auto model = models::loadUNet3D(fixture("sd15_tiny_diffusers"), fixture("motion_adapter_tiny_v2_diffusers"));
    return model;
  }
  torch::Tensor loss(uint64_t seed, const torch::Tensor& weights = {},
                     diffusion::PredictionType prediction = diffusion::PredictionType::Epsilon) {
    auto gen = at::detail::createCPUGenerator(seed);
    DiffusionLossOptions options;
    options.prediction = prediction;
    options.sampleWeights = weights;
    return diffusionLoss(unet(), schedule_, latents_, text_, gen, options);
  }
  diffusion::NoiseSchedule schedule_{diffusion::NoiseScheduleConfig{}};
  torch::Tensor latents_ = torch::randn({2, 4, 2, 8, 8}, at::detail::createCPUGenerator(1));
  torch::Tensor text_ = torch::randn({2, 77, 32}, at::detail::createCPUGenerator(2));
};

TEST_F(DiffusionLossTest, FinitePositiveAndReproducibleFromTheSeed) {
  torch::NoGradGuard noGrad;
  const auto a = loss(7);
  EXPECT_EQ(a.dim(), 0);
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(std::isfinite(a.item<double>()));
  EXPECT_GT(a.item<double>(), 0);
  EXPECT_TRUE(torch::equal(loss(7), a));
  EXPECT_FALSE(torch::equal(loss(8), a));
}

TEST_F(DiffusionLossTest, GradientsReachTheUNet) {
  torch::Tensor weight = unet()->conv_out->weight;
  weight.mutable_grad().reset();
  loss(3).backward();
  ASSERT_TRUE(weight.grad().defined());
  EXPECT_GT(weight.grad().abs().sum().item<double>(), 0);
  for (auto& p : unet()->parameters()) p.mutable_grad().reset();
}

TEST_F(DiffusionLossTest, UnitWeightsGiveThePlainLossAndWeightsScaleSamples) {
  torch::NoGradGuard noGrad;
  const auto plain = loss(5);
  EXPECT_NEAR(loss(5, torch::ones({2})).item<double>(), plain.item<double>(), 1e-6);
  // Weight 2 on sample 0 and 0 on sample 1: mean of (2 * mse_0, 0) = mse_0.
  const auto onlyFirst = loss(5, torch::tensor({2.0, 0.0}));
  const auto onlySecond = loss(5, torch::tensor({0.0, 2.0}));
  EXPECT_NEAR((onlyFirst + onlySecond).item<double>() / 2, plain.item<double>(), 1e-6);
}

TEST_F(DiffusionLossTest, VPredictionTargetsVelocity) {
  torch::NoGradGuard noGrad;
  const auto a = loss(9, {}, diffusion::PredictionType::VPrediction);
  EXPECT_TRUE(std::isfinite(a.item<double>()));
  EXPECT_FALSE(torch::equal(a, loss(9)));
}

}  // namespace
}  // namespace sm::training
