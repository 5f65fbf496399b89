// Gradient checkpointing: the checkpointed function gives the same values and
// gradients as a plain run, for its inputs and for leaves it only uses inside
// (adapters hooked into a frozen UNet's layers).
#include "core/nn/checkpoint_function.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <string>

#include "core/diffusion/noise_schedule.h"
#include "core/models/unet/unet_loader.h"
#include "core/nn/adaptable_layers.h"
#include "core/training/diffusion_loss.h"

namespace sm::nn {
namespace {

std::string fixture(const std::string& name) { return std::string(SM_TEST_DATA_DIR) + "/fixtures/" + name; }

TEST(Checkpoint, MatchesAPlainRunForInputsAndInnerLeaves) {
  auto gen = at::detail::createCPUGenerator(5);
  const auto w = torch::randn({3, 3}, gen).requires_grad_();  // a leaf used inside, not an input
  const auto x = torch::randn({4, 3}, gen).requires_grad_();
  const auto y = torch::randn({4, 3}, gen);  // an input that needs no gradient
  int calls = 0;
  // Returns one tensor twice and an input as is: both must work.
  auto fn = [&](const std::vector<torch::Tensor>& t) {
    ++calls;
    auto h = torch::tanh(torch::matmul(t[0], w)) * t[1].sin();
    return std::vector<torch::Tensor>{h, h, t[1]};
  };
  auto lossOf = [](const std::vector<torch::Tensor>& out) { return (out[0] * 2 + out[1].pow(2) + out[2]).sum(); };

  const auto plainLoss = lossOf(fn({x, y}));
  plainLoss.backward();
  const auto gx = x.grad().clone(), gw = w.grad().clone();
  x.mutable_grad().reset();
  w.mutable_grad().reset();
  calls = 0;

  const auto out = checkpoint(fn, {x, y});
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(out[0].grad_fn() == nullptr);
  const auto loss = lossOf(out);
  loss.backward();
  EXPECT_EQ(calls, 2);  // recomputed once in backward
  EXPECT_TRUE(torch::allclose(loss, plainLoss, 0, 0));
  EXPECT_TRUE(torch::allclose(x.grad(), gx, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(w.grad(), gw, 1e-6, 1e-7));
}

TEST(Checkpoint, InnerLeavesGetGradientsWhenNoInputRequiresOne) {
  const auto w = torch::full({2}, 3.0).requires_grad_();
  const auto x = torch::tensor({1.0, 2.0});
  auto out = checkpoint([&](const std::vector<torch::Tensor>& t) { return std::vector<torch::Tensor>{t[0] * w}; }, {x});
  ASSERT_TRUE(out[0].requires_grad());
  out[0].sum().backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_TRUE(torch::equal(w.grad(), x));
}

TEST(Checkpoint, WithoutGradModeItIsAPlainCall) {
  torch::NoGradGuard noGrad;
  int calls = 0;
  auto out = checkpoint(
      [&](const std::vector<torch::Tensor>& t) {
        ++calls;
        return std::vector<torch::Tensor>{t[0] + 1};
      },
      {torch::zeros({2})});
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(out[0].grad_fn() == nullptr);
}

// A test adapter: y + x @ W with a leaf W, counting its calls.
class MatmulAdapter : public nn::LayerAdapter {
 public:
  MatmulAdapter(int64_t in, int64_t out, at::Generator& gen)
      : weight(torch::randn({in, out}, gen).mul_(0.05).requires_grad_()) {}
  torch::Tensor adapt(const torch::Tensor& input, const torch::Tensor& output) override {
    ++calls;
    return output + torch::matmul(input, weight);
  }
  torch::Tensor weight;
  std::atomic<int> calls{0};
};

// Hooks a MatmulAdapter onto the first adaptable Linear whose name starts with `prefix`.
std::shared_ptr<MatmulAdapter> hook(models::UNet3D& unet, const std::string& prefix, at::Generator& gen) {
  for (const auto& item : unet->named_modules()) {
    if (item.key().rfind(prefix, 0) != 0) continue;
    auto* linear = item.value()->as<nn::AdaptableLinearImpl>();
    if (!linear) continue;
    auto adapter = std::make_shared<MatmulAdapter>(linear->options.in_features(), linear->options.out_features(), gen);
    linear->adapters.add(adapter);
    return adapter;
  }
  ADD_FAILURE() << "no adaptable Linear under " << prefix;
  return nullptr;
}

struct Gradients {
  torch::Tensor loss, param, down, mid, up;
};

TEST(Checkpoint, UNetBlocksGiveTheSameLossAndGradients) {
  auto unet = models::loadUNet3D(fixture("sd15_tiny_diffusers"), fixture("motion_adapter_tiny_v2_diffusers"));
  // Frozen, as in adapter training: conv_in's output needs no gradient, so the
  // first block's checkpoint sees no input that does.
  for (auto& p : unet->parameters()) p.requires_grad_(false);
  torch::Tensor param;
  for (const auto& item : unet->named_parameters())
    if (item.key() == "down_blocks.1.resnets.0.conv1.weight") param = item.value();
  ASSERT_TRUE(param.defined());
  param.requires_grad_(true);
  auto gen = at::detail::createCPUGenerator(3);
  auto down = hook(unet, "down_blocks.0.motion_modules", gen);
  // Cross-attention values: the mid block is 1x1 here, so self-attention queries get no gradient.
  auto mid = hook(unet, "mid_block.attentions.0.transformer_blocks.0.attn2.to_v", gen);
  auto up = hook(unet, "up_blocks.3.motion_modules", gen);
  ASSERT_TRUE(down && mid && up);

  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  const auto latents = torch::randn({2, 4, 2, 8, 8}, gen);  // video mode: 2 frames
  const auto text = torch::randn({2, 77, 32}, gen);
  auto run = [&](bool checkpointing) {
    unet->setGradientCheckpointing(checkpointing);
    auto lossGen = at::detail::createCPUGenerator(42);
    Gradients g;
    g.loss = training::diffusionLoss(unet, schedule, latents, text, lossGen);
    g.loss.backward();
    for (auto* t : {&param, &down->weight, &mid->weight, &up->weight}) EXPECT_TRUE(t->grad().defined());
    g.param = param.grad().clone();
    g.down = down->weight.grad().clone();
    g.mid = mid->weight.grad().clone();
    g.up = up->weight.grad().clone();
    for (auto* t : {&param, &down->weight, &mid->weight, &up->weight}) t->mutable_grad().reset();
    return g;
  };
  const Gradients plain = run(false);
  EXPECT_EQ(down->calls, 1);
  down->calls = 0;
  const Gradients checkpointed = run(true);
  EXPECT_EQ(down->calls, 2);  // forward, then recomputed in backward
  EXPECT_TRUE(unet->gradientCheckpointing());

  auto close = [](const torch::Tensor& a, const torch::Tensor& b, const char* what) {
    const double diff = (a - b).abs().max().item<double>();
    const double scale = b.abs().max().item<double>();
    EXPECT_LE(diff, 1e-6 * std::max(1.0, scale)) << what << ": max |diff| " << diff << ", max |grad| " << scale;
    EXPECT_GT(scale, 0) << what << " has a zero gradient";
  };
  EXPECT_NEAR(checkpointed.loss.item<double>(), plain.loss.item<double>(), 1e-6);
  close(checkpointed.param, plain.param, "resnet parameter");
  close(checkpointed.down, plain.down, "adapter in down_blocks.0");
  close(checkpointed.mid, plain.mid, "adapter in mid_block");
  close(checkpointed.up, plain.up, "adapter in up_blocks.3");

  // Inference is unaffected by the flag.
  torch::NoGradGuard noGrad;
  const auto t = torch::tensor({10, 900});
  const auto a = unet->forward(latents, t, text);
  unet->setGradientCheckpointing(false);
  const auto b = unet->forward(latents, t, text);
  EXPECT_TRUE(torch::equal(a, b));
}

}  // namespace
}  // namespace sm::nn
