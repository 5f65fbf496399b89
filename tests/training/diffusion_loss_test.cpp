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
                     diffusion::PredictionType prediction = diffusion::PredictionType::Epsilon,
                     double highNoiseWeightCap = 0) {
    auto gen = at::detail::createCPUGenerator(seed);
    DiffusionLossOptions options;
    options.prediction = prediction;
    options.sampleWeights = weights;
    options.highNoiseWeightCap = highNoiseWeightCap;
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

TEST_F(DiffusionLossTest, HighNoiseWeightingWeighsEachSampleByItsInverseSnrWithinOneAndTheCap) {
  torch::NoGradGuard noGrad;
  const double cap = 20;
  for (uint64_t seed : {11, 12, 13, 14}) {
    // The timesteps the loss draws: noise first, then one timestep per sample.
    auto gen = at::detail::createCPUGenerator(seed);
    (void)diffusion::randnTensor(latents_.sizes(), gen, torch::kFloat32, torch::kCPU);
    const torch::Tensor t = torch::randint(0, 1000, {2}, gen, torch::kLong);
    const torch::Tensor alphaBar = schedule_.alphasCumprod().index({t}).to(torch::kFloat64);
    const torch::Tensor expected = ((1 - alphaBar) / alphaBar).clamp(1.0, cap).to(torch::kFloat32);
    SCOPED_TRACE("timesteps " + std::to_string(t[0].item<int64_t>()) + ", " + std::to_string(t[1].item<int64_t>()));
    EXPECT_NEAR(loss(seed, {}, diffusion::PredictionType::Epsilon, cap).item<double>(),
                loss(seed, expected).item<double>(), 1e-5);
    // Combined with sample weights, the two multiply.
    const torch::Tensor sample = torch::tensor({0.5, 3.0});
    EXPECT_NEAR(loss(seed, sample, diffusion::PredictionType::Epsilon, cap).item<double>(),
                loss(seed, sample * expected).item<double>(), 1e-5);
  }
  // A cap of 1 or less is off: the plain loss.
  EXPECT_TRUE(torch::equal(loss(11, {}, diffusion::PredictionType::Epsilon, 1.0), loss(11)));
}

TEST_F(DiffusionLossTest, HighNoiseWeightingRaisesTheLossAtAHighTimestep) {
  torch::NoGradGuard noGrad;
  // Some seed draws a timestep above ~t=550 (SNR < 1) for a sample: there the weighted loss is larger.
  bool raised = false;
  for (uint64_t seed = 20; seed < 30 && !raised; ++seed)
    raised = loss(seed, {}, diffusion::PredictionType::Epsilon, 50).item<double>() > 1.5 * loss(seed).item<double>();
  EXPECT_TRUE(raised);
}

TEST_F(DiffusionLossTest, VPredictionTargetsVelocity) {
  torch::NoGradGuard noGrad;
  const auto a = loss(9, {}, diffusion::PredictionType::VPrediction);
  EXPECT_TRUE(std::isfinite(a.item<double>()));
  EXPECT_FALSE(torch::equal(a, loss(9)));
}

}  // namespace
}  // namespace sm::training
