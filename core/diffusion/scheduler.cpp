#include "core/diffusion/scheduler.h"

#include <cmath>

#include "core/diffusion/ddim_scheduler.h"
#include "core/diffusion/dpm_solver_multistep_scheduler.h"
#include "core/diffusion/euler_scheduler.h"
#include "core/util/error.h"

namespace sm::diffusion {
namespace {

constexpr std::pair<SamplerKind, const char*> kSamplerNames[] = {{SamplerKind::DDIM, "ddim"},
                                                                 {SamplerKind::Euler, "euler"},
                                                                 {SamplerKind::EulerAncestral, "euler-a"},
                                                                 {SamplerKind::DPMSolverPlusPlus2M, "dpmpp-2m"}};

}  // namespace

std::string samplerName(SamplerKind kind) {
  for (const auto& [k, name] : kSamplerNames)
    if (k == kind) return name;
  TORCH_CHECK(false, "unnamed sampler kind ", static_cast<int>(kind));
}

SamplerKind parseSamplerName(const std::string& name) {
  std::string valid;
  for (const auto& [kind, n] : kSamplerNames) {
    if (name == n) return kind;
    valid += (valid.empty() ? "" : ", ") + std::string(n);
  }
  throw ConfigError("unknown sampler '" + name + "' (valid: " + valid + ")");
}

SchedulerConfig animateDiffSchedulerConfig(SamplerKind kind) {
  // The defaults: linear 0.00085-0.012 over 1000 steps, epsilon, steps_offset 1,
  // set_alpha_to_one, no clipping, eta 0, no Karras sigmas.
  SchedulerConfig config;
  // diffusers' class defaults: DDIMScheduler "leading" (the only spacing of the
  // diffusers 0.11 DDIM the original AnimateDiff ran), the others "linspace".
  config.spacing = kind == SamplerKind::DDIM ? TimestepSpacing::Leading : TimestepSpacing::Linspace;
  return config;
}

void validate(SamplerKind kind, const SchedulerConfig& config) {
  validate(config.schedule);
  if (config.stepsOffset < 0) throw ConfigError("stepsOffset must be >= 0, got " + std::to_string(config.stepsOffset));
  if (!(config.eta >= 0.0) || !std::isfinite(config.eta))
    throw ConfigError("eta must be a finite number >= 0, got " + std::to_string(config.eta));
  if (config.karrasSigmas && kind == SamplerKind::DDIM)
    throw ConfigError("karrasSigmas: the ddim sampler has no Karras sigmas (euler, euler-a and dpmpp-2m have)");
}

std::unique_ptr<Scheduler> makeScheduler(SamplerKind kind, const SchedulerConfig& config) {
  switch (kind) {
    case SamplerKind::DDIM: return std::make_unique<DDIMScheduler>(config);
    case SamplerKind::Euler: return std::make_unique<EulerScheduler>(config, false);
    case SamplerKind::EulerAncestral: return std::make_unique<EulerScheduler>(config, true);
    case SamplerKind::DPMSolverPlusPlus2M: return std::make_unique<DPMSolverMultistepScheduler>(config);
  }
  TORCH_CHECK(false, "unknown sampler kind ", static_cast<int>(kind));
}

void Scheduler::checkNumSteps(int numSteps) const {
  const int train = config_.schedule.numTrainTimesteps;
  if (numSteps < 1 || numSteps > train)
    throw ConfigError("numSteps must be between 1 and numTrainTimesteps (" + std::to_string(train) + "), got " +
                      std::to_string(numSteps));
}

void Scheduler::checkStepIndex(int stepIndex) const {
  TORCH_CHECK(!timesteps_.empty(), "setTimesteps must run before step");
  TORCH_CHECK(stepIndex >= 0 && stepIndex < static_cast<int>(timesteps_.size()), "step index ", stepIndex,
              " outside the ", timesteps_.size(), " steps of the schedule");
}

}  // namespace sm::diffusion
