#include "core/training/adamw.h"

#include <torch/torch.h>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/util/error.h"

namespace sm::training {
namespace {

bool isLowPrecision(const torch::Tensor& p) {
  return p.scalar_type() == torch::kBFloat16 || p.scalar_type() == torch::kHalf;
}

const torch::Tensor& findState(const NamedTensors& state, const std::unordered_map<std::string, size_t>& byName,
                               const std::string& name) {
  const auto it = byName.find(name);
  if (it == byName.end())
    throw ConfigError("optimizer state: '" + name +
                      "' is missing; the checkpoint was written for other trainable parameters "
                      "(resume with the same adapter settings, or start a new training)");
  const torch::Tensor& t = state[it->second].second;
  if (!t.defined()) throw ConfigError("optimizer state: '" + name + "' is an undefined tensor");
  return t;
}

void checkShape(const std::string& name, const torch::Tensor& t, at::IntArrayRef expected) {
  if (t.sizes() != expected)
    throw ConfigError("optimizer state: '" + name + "' has shape " + shapeToString(t.sizes().vec()) + ", expected " +
                      shapeToString(expected.vec()) +
                      "; the checkpoint was written for differently shaped parameters (another rank?)");
}

int64_t scalarStep(const std::string& name, const torch::Tensor& t) {
  if (t.numel() != 1 || t.is_floating_point() || t.is_complex())
    throw ConfigError("optimizer state: '" + name + "' must be one integer, got a " + c10::toString(t.scalar_type()) +
                      " tensor of shape " + shapeToString(t.sizes().vec()));
  const int64_t value = t.item<int64_t>();
  if (value < 0) throw ConfigError("optimizer state: '" + name + "' is negative (" + std::to_string(value) + ")");
  return value;
}

}  // namespace

AdamW::AdamW(NamedTensors params, AdamWOptions options) : params_(std::move(params)), options_(options) {
  if (!(options_.lr >= 0))
    throw ConfigError("AdamW: the learning rate must be >= 0, got " + std::to_string(options_.lr));
  if (!(options_.beta1 >= 0 && options_.beta1 < 1) || !(options_.beta2 >= 0 && options_.beta2 < 1))
    throw ConfigError("AdamW: beta1 and beta2 must lie in [0, 1), got " + std::to_string(options_.beta1) + " and " +
                      std::to_string(options_.beta2));
  if (!(options_.eps > 0)) throw ConfigError("AdamW: eps must be > 0, got " + std::to_string(options_.eps));
  if (!(options_.weightDecay >= 0))
    throw ConfigError("AdamW: weight decay must be >= 0, got " + std::to_string(options_.weightDecay));
  std::unordered_set<std::string> names;
  torch::NoGradGuard noGrad;
  state_.reserve(params_.size());
  for (const auto& [name, p] : params_) {
    if (name.empty()) throw ConfigError("AdamW: a parameter has an empty name");
    if (!names.insert(name).second) throw ConfigError("AdamW: parameter '" + name + "' is listed twice");
    if (!p.defined() || !p.is_floating_point())
      throw ConfigError("AdamW: parameter '" + name + "' must be a defined floating-point tensor");
    // Allocated up front (zeros, as torch's lazy init makes them) so state() and
    // loadState() always see every parameter, stepped or not.
    ParamState s;
    const auto stateType = p.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    s.expAvg = torch::zeros_like(p, torch::TensorOptions().dtype(stateType), torch::MemoryFormat::Preserve);
    s.expAvgSq = torch::zeros_like(s.expAvg, torch::MemoryFormat::Preserve);
    if (isLowPrecision(p)) s.master = p.detach().to(torch::kFloat, /*non_blocking=*/false, /*copy=*/true);
    state_.push_back(std::move(s));
  }
}

// ref: pytorch v2.5 torch/csrc/api/src/optim/adamw.cpp (AdamW::step), amsgrad off;
// the float32 path uses the same ops in the same order, hence the same bits.
void AdamW::step(double lr) {
  torch::NoGradGuard noGrad;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    ParamState& s = state_[i];
    torch::Tensor target = s.master.defined() ? s.master : p;
    const torch::Tensor grad = p.grad().to(s.expAvg.scalar_type());
    if (options_.weightDecay != 0) target.mul_(1 - lr * options_.weightDecay);
    s.step += 1;
    const double biasCorrection1 = 1 - std::pow(beta1, s.step);
    const double biasCorrection2 = 1 - std::pow(beta2, s.step);
    s.expAvg.mul_(beta1).add_(grad, 1 - beta1);
    s.expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const torch::Tensor denom = (s.expAvgSq.sqrt() / std::sqrt(biasCorrection2)).add_(options_.eps);
    target.addcdiv_(s.expAvg, denom, -lr / biasCorrection1);
    if (s.master.defined()) p.copy_(s.master);
  }
  ++steps_;
}

void AdamW::zeroGrad() {
  for (auto& [name, p] : params_) p.mutable_grad() = torch::Tensor();
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  out.reserve(1 + 4 * params_.size());
  out.emplace_back("step", torch::tensor(steps_, torch::kLong));
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    const ParamState& s = state_[i];
    out.emplace_back(name + ".exp_avg", s.expAvg);
    out.emplace_back(name + ".exp_avg_sq", s.expAvgSq);
    out.emplace_back(name + ".step", torch::tensor(s.step, torch::kLong));
    if (s.master.defined()) out.emplace_back(name + ".master", s.master);
  }
  return out;
}

void AdamW::loadState(const NamedTensors& state) {
  std::unordered_map<std::string, size_t> byName;
  for (size_t i = 0; i < state.size(); ++i) byName.emplace(state[i].first, i);
  // Everything is checked before anything changes, so a bad file leaves the optimizer as it was.
  const int64_t steps = scalarStep("step", findState(state, byName, "step"));
  std::vector<int64_t> paramSteps(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    const auto shape = params_[i].second.sizes();
    for (const char* part : {".exp_avg", ".exp_avg_sq"})
      checkShape(name + part, findState(state, byName, name + part), shape);
    if (state_[i].master.defined()) checkShape(name + ".master", findState(state, byName, name + ".master"), shape);
    paramSteps[i] = scalarStep(name + ".step", findState(state, byName, name + ".step"));
  }
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    ParamState& s = state_[i];
    s.expAvg.copy_(state[byName.at(name + ".exp_avg")].second);
    s.expAvgSq.copy_(state[byName.at(name + ".exp_avg_sq")].second);
    if (s.master.defined()) s.master.copy_(state[byName.at(name + ".master")].second);
    s.step = paramSteps[i];
  }
  steps_ = steps;
}

}  // namespace sm::training
