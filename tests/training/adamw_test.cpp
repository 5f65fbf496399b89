// AdamW against torch::optim::AdamW, its state save/load, its master copy for
// low-precision parameters, and the warm-up schedule.
#include "core/training/adamw.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/training/lr_schedule.h"
#include "core/util/error.h"

namespace sm::training {
namespace {

torch::Tensor randn(at::IntArrayRef shape, at::Generator& gen) { return torch::randn(shape, gen); }

// Identical gradients for both optimizers' copies of each parameter; `skip` leaves one without.
void setGrads(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, at::Generator& gen, int skip = -1) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (static_cast<int>(i) == skip) {
      a[i].mutable_grad() = torch::Tensor();
      b[i].mutable_grad() = torch::Tensor();
      continue;
    }
    const torch::Tensor g = randn(a[i].sizes(), gen);
    a[i].mutable_grad() = g.clone();
    b[i].mutable_grad() = g.clone();
  }
}

NamedTensors named(const std::vector<torch::Tensor>& params) {
  NamedTensors out;
  for (size_t i = 0; i < params.size(); ++i) out.emplace_back("p" + std::to_string(i), params[i]);
  return out;
}

std::vector<torch::Tensor> makeParams(at::Generator& gen) {
  return {randn({5, 3}, gen).requires_grad_(), randn({7}, gen).requires_grad_(),
          randn({2, 2, 3}, gen).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

TEST(AdamW, MatchesLibTorchAdamWBitForBit) {
  auto gen = at::detail::createCPUGenerator(7);
  auto ours = makeParams(gen);
  auto theirs = copies(ours);
  const auto initial = copies(ours);
  AdamWOptions options;
  options.lr = 1e-2;
  options.weightDecay = 0.05;
  AdamW optimizer(named(ours), options);
  torch::optim::AdamW reference(theirs, torch::optim::AdamWOptions(options.lr)
                                            .betas({options.beta1, options.beta2})
                                            .eps(options.eps)
                                            .weight_decay(options.weightDecay));
  for (int step = 0; step < 12; ++step) {
    setGrads(ours, theirs, gen, step == 3 ? 1 : -1);  // a parameter without a gradient is skipped
    optimizer.step();
    reference.step();
  }
  EXPECT_EQ(optimizer.steps(), 12);
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_TRUE(torch::equal(ours[i], theirs[i]))
        << "parameter " << i << ": max |diff| " << (ours[i] - theirs[i]).abs().max().item<double>();
    EXPECT_FALSE(torch::equal(ours[i], initial[i])) << "parameter " << i << " did not move";
  }
  // The skipped parameter's own step count lags by one.
  for (const auto& [name, t] : optimizer.state()) {
    if (name == "p1.step") EXPECT_EQ(t.item<int64_t>(), 11);
    if (name == "p0.step") EXPECT_EQ(t.item<int64_t>(), 12);
  }
}

TEST(AdamW, StepTakesTheScheduledRate) {
  auto gen = at::detail::createCPUGenerator(3);
  auto a = makeParams(gen);
  auto b = copies(a);
  AdamWOptions options;
  options.lr = 0.5;
  AdamW first(named(a), options), second(named(b), AdamWOptions{});
  setGrads(a, b, gen);
  first.step();
  second.step(0.5);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

TEST(AdamW, SavedStateContinuesIdentically) {
  auto gen = at::detail::createCPUGenerator(11);
  auto params = makeParams(gen);
  AdamW optimizer(named(params), {});
  auto unused = copies(params);
  for (int step = 0; step < 5; ++step) {
    setGrads(params, unused, gen);
    optimizer.step(1e-3);
  }
  // What a checkpoint holds: copies of the parameters and of the state.
  auto resumed = copies(params);
  NamedTensors saved;
  for (const auto& [name, t] : optimizer.state()) saved.emplace_back(name, t.clone());
  AdamW restored(named(resumed), {});
  restored.loadState(saved);
  EXPECT_EQ(restored.steps(), 5);
  for (int step = 0; step < 5; ++step) {
    setGrads(params, resumed, gen);
    optimizer.step(1e-3);
    restored.step(1e-3);
  }
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], resumed[i])) << "parameter " << i;
}

TEST(AdamW, LoadStateNamesMissingAndMisshapedTensors) {
  auto gen = at::detail::createCPUGenerator(1);
  auto params = makeParams(gen);
  AdamW optimizer(named(params), {});
  NamedTensors state = optimizer.state();
  NamedTensors missing;
  for (const auto& entry : state)
    if (entry.first != "p2.exp_avg_sq") missing.push_back(entry);
  try {
    optimizer.loadState(missing);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'p2.exp_avg_sq' is missing"), std::string::npos) << e.what();
  }
  NamedTensors misshaped = state;
  for (auto& [name, t] : misshaped)
    if (name == "p0.exp_avg") t = torch::zeros({3, 5});
  try {
    optimizer.loadState(misshaped);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'p0.exp_avg' has shape [3, 5], expected [5, 3]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(AdamW(NamedTensors{{"a", params[0]}, {"a", params[1]}}), ConfigError);
  AdamWOptions bad;
  bad.beta2 = 1.0;
  EXPECT_THROW(AdamW(named(params), bad), ConfigError);
}

TEST(AdamW, LowPrecisionParametersKeepAFloat32Master) {
  // bf16 resolves 1 +- 2^-8 near 1: steps of 1e-4 vanish without a master copy.
  auto param = torch::ones({16}, torch::kBFloat16).requires_grad_();
  AdamWOptions options;
  options.weightDecay = 0;
  AdamW optimizer({{"w", param}}, options);
  for (int step = 0; step < 100; ++step) {
    param.mutable_grad() = torch::ones({16}, torch::kBFloat16);
    optimizer.step(1e-4);
  }
  EXPECT_EQ(param.scalar_type(), torch::kBFloat16);
  EXPECT_LT(param.max().item<float>(), 1.0f);
  bool sawMaster = false;
  for (const auto& [name, t] : optimizer.state()) {
    if (name.find(".exp_avg") != std::string::npos) EXPECT_EQ(t.scalar_type(), torch::kFloat32) << name;
    if (name == "w.master") {
      sawMaster = true;
      EXPECT_EQ(t.scalar_type(), torch::kFloat32);
      EXPECT_NEAR(t[0].item<float>(), 1.0f - 100 * 1e-4f, 1e-5f);
    }
  }
  EXPECT_TRUE(sawMaster);
}

TEST(AdamW, ZeroGradDropsGradients) {
  auto p = torch::ones({2}).requires_grad_();
  AdamW optimizer({{"p", p}}, {});
  p.mutable_grad() = torch::ones({2});
  optimizer.zeroGrad();
  EXPECT_FALSE(p.grad().defined());
  optimizer.step();  // nothing to do, but counted
  EXPECT_TRUE(torch::equal(p, torch::ones({2})));
}

TEST(LRSchedule, LinearWarmupThenConstant) {
  EXPECT_DOUBLE_EQ(warmupConstantLR(1e-4, 0, 4), 0.25e-4);
  EXPECT_DOUBLE_EQ(warmupConstantLR(1e-4, 1, 4), 0.5e-4);
  EXPECT_DOUBLE_EQ(warmupConstantLR(1e-4, 3, 4), 1e-4);
  EXPECT_DOUBLE_EQ(warmupConstantLR(1e-4, 1000, 4), 1e-4);
  EXPECT_DOUBLE_EQ(warmupConstantLR(2e-4, 0, 0), 2e-4);
  EXPECT_DOUBLE_EQ(warmupConstantLR(2e-4, 5, 1), 2e-4);
}

}  // namespace
}  // namespace sm::training
