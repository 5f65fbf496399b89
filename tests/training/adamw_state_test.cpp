// torch::optim::AdamW's state by name: saved and restored, it continues bit
// for bit; a state for other parameters is refused by name; the per-step
// learning rate; and the warm-up schedule.
#include "core/training/adamw_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/training/lr_schedule.h"
#include "core/util/error.h"

namespace sm::training {
namespace {

using engine::NamedTensors;

// Identical gradients for both copies of each parameter; `skip` leaves one without.
void setGrads(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, at::Generator& gen, int skip = -1) {
  for (size_t i = 0; i < a.size(); ++i) {
    a[i].mutable_grad() = torch::Tensor();
    b[i].mutable_grad() = torch::Tensor();
    if (static_cast<int>(i) == skip) continue;
    const torch::Tensor g = torch::randn(a[i].sizes(), gen);
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
  return {torch::randn({5, 3}, gen).requires_grad_(), torch::randn({7}, gen).requires_grad_(),
          torch::randn({2, 2, 3}, gen).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

torch::optim::AdamWOptions someOptions() { return torch::optim::AdamWOptions(1e-2).betas({0.8, 0.99}).eps(1e-6); }

bool sameState(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !torch::equal(a[i].second, b[i].second)) return false;
  return true;
}

TEST(AdamWState, SavedAndRestoredContinuesBitForBit) {
  auto gen = at::detail::createCPUGenerator(11);
  auto params = makeParams(gen);
  torch::optim::AdamW optimizer(trainableTensors(named(params)), someOptions().weight_decay(0.05));
  auto unused = copies(params);
  for (int step = 0; step < 5; ++step) {
    setGrads(params, unused, gen, /*skip=*/2);  // p2 never gets a gradient: no state yet
    setLearningRate(optimizer, 1e-3 * (step + 1));
    optimizer.step();
  }

  // What a checkpoint holds: copies of the parameters, the state and the options.
  NamedTensors saved;
  for (const auto& [name, t] : adamWState(optimizer, named(params))) saved.emplace_back(name, t.clone());
  const std::string options = adamWOptionsJson(optimizer);
  std::vector<std::string> names;
  for (const auto& [name, t] : saved) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"p0.step", "p0.exp_avg", "p0.exp_avg_sq", "p1.step", "p1.exp_avg",
                                             "p1.exp_avg_sq"}));
  EXPECT_EQ(saved[0].second.item<int64_t>(), 5);
  const auto json = nlohmann::json::parse(options);
  EXPECT_EQ(json["lr"].get<double>(), 5e-3);
  EXPECT_EQ(json["betas"], nlohmann::json::array({0.8, 0.99}));
  EXPECT_EQ(json["eps"].get<double>(), 1e-6);
  EXPECT_EQ(json["weight_decay"].get<double>(), 0.05);
  EXPECT_EQ(json["amsgrad"].get<bool>(), false);

  // A fresh optimizer with other options takes the saved ones.
  auto resumed = copies(params);
  torch::optim::AdamW restored(trainableTensors(named(resumed)), torch::optim::AdamWOptions(0.5));
  loadAdamWState(restored, named(resumed), saved, options);
  EXPECT_EQ(adamWOptionsJson(restored), options);
  EXPECT_TRUE(sameState(adamWState(restored, named(resumed)), saved));
  for (int step = 5; step < 10; ++step) {
    setGrads(params, resumed, gen, step == 7 ? 1 : -1);
    setLearningRate(optimizer, 1e-3 * (step + 1));
    setLearningRate(restored, 1e-3 * (step + 1));
    optimizer.step();
    restored.step();
  }
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::equal(params[i], resumed[i]))
        << "parameter " << i << ": max |diff| " << (params[i] - resumed[i]).abs().max().item<double>();
  }
  EXPECT_TRUE(sameState(adamWState(restored, named(resumed)), adamWState(optimizer, named(params))));
  // The state can fail to continue exactly: without it, the same steps land elsewhere.
  auto lost = copies(resumed);
  torch::optim::AdamW forgetful(trainableTensors(named(lost)), someOptions());
  lost[0].mutable_grad() = torch::ones_like(lost[0]);
  forgetful.step();
  auto kept = copies(resumed);
  torch::optim::AdamW remembering(trainableTensors(named(kept)), someOptions());
  loadAdamWState(remembering, named(kept), adamWState(restored, named(resumed)), adamWOptionsJson(restored));
  kept[0].mutable_grad() = torch::ones_like(kept[0]);
  remembering.step();
  EXPECT_FALSE(torch::equal(lost[0], kept[0]));
}

TEST(AdamWState, AmsgradKeepsItsMaximum) {
  auto gen = at::detail::createCPUGenerator(5);
  auto params = makeParams(gen);
  torch::optim::AdamW optimizer(trainableTensors(named(params)), someOptions().amsgrad(true));
  auto unused = copies(params);
  for (int step = 0; step < 3; ++step) {
    setGrads(params, unused, gen);
    optimizer.step();
  }
  const NamedTensors state = adamWState(optimizer, named(params));
  EXPECT_EQ(state.size(), 12u);
  auto resumed = copies(params);
  torch::optim::AdamW restored(trainableTensors(named(resumed)), someOptions());
  loadAdamWState(restored, named(resumed), state, adamWOptionsJson(optimizer));
  for (int step = 0; step < 3; ++step) {
    setGrads(params, resumed, gen);
    optimizer.step();
    restored.step();
  }
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], resumed[i])) << "parameter " << i;
}

void expectConfigError(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    FAIL() << "no error; expected '" << message << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(AdamWState, AStateForOtherParametersIsRefusedByNameAndChangesNothing) {
  auto gen = at::detail::createCPUGenerator(1);
  auto params = makeParams(gen);
  torch::optim::AdamW optimizer(trainableTensors(named(params)), someOptions());
  auto unused = copies(params);
  setGrads(params, unused, gen);
  optimizer.step();
  const NamedTensors state = adamWState(optimizer, named(params));
  const std::string options = adamWOptionsJson(optimizer);

  auto target = copies(params);
  torch::optim::AdamW other(trainableTensors(named(target)), torch::optim::AdamWOptions(0.5));
  const std::string otherOptions = adamWOptionsJson(other);
  auto without = [&](const std::string& dropped) {
    NamedTensors out;
    for (const auto& entry : state)
      if (entry.first != dropped) out.push_back(entry);
    return out;
  };
  auto load = [&](const NamedTensors& s, const std::string& o = "") {
    return [&, s, o] { loadAdamWState(other, named(target), s, o.empty() ? options : o); };
  };
  expectConfigError(load(without("p2.exp_avg_sq")), "'p2.exp_avg_sq' is missing");
  expectConfigError(load(without("p1.step")), "'p1.exp_avg' is there but 'p1.step' is missing");
  NamedTensors misshaped = state;
  for (auto& [name, t] : misshaped)
    if (name == "p0.exp_avg") t = torch::zeros({3, 5});
  expectConfigError(load(misshaped), "'p0.exp_avg' has shape [3, 5], expected [5, 3]");
  NamedTensors foreign = state;
  foreign.emplace_back("q9.exp_avg", torch::zeros({2}));
  expectConfigError(load(foreign), "'q9.exp_avg' belongs to no trainable parameter");
  NamedTensors badStep = state;
  badStep[0].second = torch::tensor(0.5);
  expectConfigError(load(badStep), "'p0.step' must be one integer");
  expectConfigError(load(state, R"({"lr": 0.1})"), "'betas' must be two numbers");
  expectConfigError(load(state, "[]"), "is not a JSON object");
  expectConfigError(
      load(state, R"({"lr": 0.1, "betas": [0.9, 1.5], "eps": 1e-8, "weight_decay": 0, "amsgrad": false})"),
      "out of range");
  expectConfigError(load(state, R"({"lr": 0.1, "betas": [0.9, 0.9], "eps": 1e-8, "weight_decay": 0, "amsgrad": true})"),
                    "'p0.max_exp_avg_sq' is missing");
  // Nothing changed: no state, the old options.
  EXPECT_TRUE(adamWState(other, named(target)).empty());
  EXPECT_EQ(adamWOptionsJson(other), otherOptions);
}

TEST(AdamWState, TrainableTensorsAreNamedOnceAndFloat32) {
  auto gen = at::detail::createCPUGenerator(2);
  auto params = makeParams(gen);
  EXPECT_EQ(trainableTensors(named(params)).size(), 3u);
  expectConfigError([&] { trainableTensors({{"a", params[0]}, {"a", params[1]}}); }, "'a' is listed twice");
  expectConfigError([&] { trainableTensors({{"", params[0]}}); }, "empty name");
  expectConfigError(
      [&] {
        trainableTensors({{"w", torch::ones({2}, torch::kBFloat16)}});
      },
      "'w' must be a defined float32 tensor");
}

TEST(AdamWState, SetLearningRateIsTheRateOfTheNextStep) {
  auto gen = at::detail::createCPUGenerator(3);
  auto a = makeParams(gen);
  auto b = copies(a);
  torch::optim::AdamW scheduled(trainableTensors(named(a)), torch::optim::AdamWOptions(1e-4));
  torch::optim::AdamW fixed(trainableTensors(named(b)), torch::optim::AdamWOptions(0.5));
  setLearningRate(scheduled, 0.5);
  setGrads(a, b, gen);
  scheduled.step();
  fixed.step();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
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
