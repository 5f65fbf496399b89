#include "core/training/adamw_state.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/util/error.h"

using nlohmann::json;

namespace sm::training {
namespace {

using torch::optim::AdamWOptions;
using torch::optim::AdamWParamState;

// The entries one parameter's state may have, besides "<name>.step" (the last with amsgrad only).
constexpr const char* kMoments[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

int64_t scalarStep(const std::string& name, const torch::Tensor& t) {
  if (!t.defined() || t.numel() != 1 || t.is_floating_point() || t.is_complex())
    throw ConfigError("optimizer state: '" + name + "' must be one integer, got " +
                      (t.defined() ? "a " + std::string(c10::toString(t.scalar_type())) + " tensor of shape " +
                                         shapeToString(t.sizes().vec())
                                   : std::string("an undefined tensor")));
  const int64_t value = t.item<int64_t>();
  if (value < 1) throw ConfigError("optimizer state: '" + name + "' is " + std::to_string(value) + ", not a step >= 1");
  return value;
}

double number(const json& options, const char* key) {
  const auto it = options.find(key);
  if (it == options.end() || !it->is_number())
    throw ConfigError(std::string("optimizer options: '") + key + "' is missing or not a number in " + options.dump() +
                      "; the checkpoint is damaged");
  return it->get<double>();
}

AdamWOptions parseOptions(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw ConfigError("optimizer options: '" + text + "' is not a JSON object");
  const auto betas = j.find("betas");
  if (betas == j.end() || !betas->is_array() || betas->size() != 2 || !(*betas)[0].is_number() ||
      !(*betas)[1].is_number())
    throw ConfigError("optimizer options: 'betas' must be two numbers in " + text + "; the checkpoint is damaged");
  const auto amsgrad = j.find("amsgrad");
  if (amsgrad == j.end() || !amsgrad->is_boolean())
    throw ConfigError("optimizer options: 'amsgrad' must be true or false in " + text + "; the checkpoint is damaged");
  AdamWOptions options(number(j, "lr"));
  options.betas({(*betas)[0].get<double>(), (*betas)[1].get<double>()})
      .eps(number(j, "eps"))
      .weight_decay(number(j, "weight_decay"))
      .amsgrad(amsgrad->get<bool>());
  const auto [beta1, beta2] = options.betas();
  if (!(options.lr() >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(options.eps() >= 0) ||
      !(options.weight_decay() >= 0))
    throw ConfigError("optimizer options: " + text + " are out of range; the checkpoint is damaged");
  return options;
}

const torch::Tensor& entry(const engine::NamedTensors& state, const std::unordered_map<std::string, size_t>& byName,
                           const std::string& name, at::IntArrayRef shape) {
  const auto it = byName.find(name);
  if (it == byName.end())
    throw ConfigError("optimizer state: '" + name +
                      "' is missing; the checkpoint was written for other trainable parameters "
                      "(resume with the same adapter settings, or start a new training)");
  const torch::Tensor& t = state[it->second].second;
  if (!t.defined() || !t.is_floating_point())
    throw ConfigError("optimizer state: '" + name + "' must be a floating-point tensor");
  if (t.sizes() != shape)
    throw ConfigError("optimizer state: '" + name + "' has shape " + shapeToString(t.sizes().vec()) + ", expected " +
                      shapeToString(shape.vec()) +
                      "; the checkpoint was written for differently shaped parameters (another rank?)");
  return t;
}

}  // namespace

std::vector<torch::Tensor> trainableTensors(const engine::NamedTensors& params) {
  std::vector<torch::Tensor> tensors;
  std::unordered_set<std::string> names;
  for (const auto& [name, p] : params) {
    if (name.empty()) throw ConfigError("AdamW: a trainable tensor has an empty name");
    if (!names.insert(name).second) throw ConfigError("AdamW: trainable tensor '" + name + "' is listed twice");
    if (!p.defined() || p.scalar_type() != torch::kFloat)
      throw ConfigError("AdamW: trainable tensor '" + name +
                        "' must be a defined float32 tensor (training keeps trainable weights in float32)");
    tensors.push_back(p);
  }
  return tensors;
}

void setLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

engine::NamedTensors adamWState(const torch::optim::AdamW& optimizer, const engine::NamedTensors& params) {
  const auto& options = static_cast<const AdamWOptions&>(optimizer.param_groups().at(0).options());
  engine::NamedTensors out;
  for (const auto& [name, p] : params) {
    const auto it = optimizer.state().find(p.unsafeGetTensorImpl());
    if (it == optimizer.state().end()) continue;
    const auto& s = static_cast<const AdamWParamState&>(*it->second);
    out.emplace_back(name + ".step", torch::tensor(s.step(), torch::kLong));
    out.emplace_back(name + ".exp_avg", s.exp_avg());
    out.emplace_back(name + ".exp_avg_sq", s.exp_avg_sq());
    if (options.amsgrad()) out.emplace_back(name + ".max_exp_avg_sq", s.max_exp_avg_sq());
  }
  return out;
}

std::string adamWOptionsJson(const torch::optim::AdamW& optimizer) {
  const auto& options = static_cast<const AdamWOptions&>(optimizer.param_groups().at(0).options());
  const auto [beta1, beta2] = options.betas();
  // nlohmann writes doubles so that they read back to the same bits.
  return json{{"lr", options.lr()},
              {"betas", {beta1, beta2}},
              {"eps", options.eps()},
              {"weight_decay", options.weight_decay()},
              {"amsgrad", options.amsgrad()}}
      .dump();
}

void loadAdamWState(torch::optim::AdamW& optimizer, const engine::NamedTensors& params,
                    const engine::NamedTensors& state, const std::string& optionsJson) {
  const AdamWOptions options = parseOptions(optionsJson);
  std::unordered_set<const void*> optimized;
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params()) optimized.insert(p.unsafeGetTensorImpl());
  std::unordered_map<std::string, size_t> byName;
  for (size_t i = 0; i < state.size(); ++i)
    if (!byName.emplace(state[i].first, i).second)
      throw ConfigError("optimizer state: '" + state[i].first + "' is given twice");

  // Everything is checked before anything changes: a bad file leaves the optimizer as it was.
  std::vector<std::unique_ptr<AdamWParamState>> restored(params.size());
  size_t used = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [name, p] = params[i];
    TORCH_CHECK(optimized.count(p.unsafeGetTensorImpl()), "loadAdamWState: '", name, "' is not the optimizer's");
    const auto step = byName.find(name + ".step");
    if (step == byName.end()) {
      // No step, no state: the parameter had no gradient yet. Then it has no moments either.
      for (const std::string moment : kMoments)
        if (byName.count(name + "." + moment))
          throw ConfigError("optimizer state: '" + name + "." + moment + "' is there but '" + name +
                            ".step' is missing; the checkpoint is damaged");
      continue;
    }
    auto s = std::make_unique<AdamWParamState>();
    s->step(scalarStep(step->first, state[step->second].second));
    ++used;
    // Copies on the parameter's device and in its dtype, as AdamW's own lazy initialization makes them.
    const auto copy = [&](const std::string& moment) {
      ++used;
      return entry(state, byName, name + "." + moment, p.sizes())
          .to(p.options(), /*non_blocking=*/false, /*copy=*/true)
          .contiguous();
    };
    s->exp_avg(copy("exp_avg"));
    s->exp_avg_sq(copy("exp_avg_sq"));
    if (options.amsgrad()) s->max_exp_avg_sq(copy("max_exp_avg_sq"));
    restored[i] = std::move(s);
  }
  if (used != state.size()) {
    std::unordered_set<std::string> expected;
    for (const auto& [name, p] : params) {
      expected.insert(name + ".step");
      for (const std::string moment : kMoments) expected.insert(name + "." + moment);
    }
    for (const auto& [name, t] : state)
      if (!expected.count(name))
        throw ConfigError("optimizer state: '" + name +
                          "' belongs to no trainable parameter; the checkpoint was written for other trainable "
                          "parameters (resume with the same adapter settings, or start a new training)");
    throw ConfigError(
        "optimizer state: it holds max_exp_avg_sq without amsgrad in its options; the checkpoint is damaged");
  }

  for (auto& group : optimizer.param_groups()) static_cast<AdamWOptions&>(group.options()) = options;
  for (size_t i = 0; i < params.size(); ++i) {
    void* key = params[i].second.unsafeGetTensorImpl();
    if (restored[i])
      optimizer.state()[key] = std::move(restored[i]);
    else
      optimizer.state().erase(key);
  }
}

}  // namespace sm::training
