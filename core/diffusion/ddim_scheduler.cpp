#include "core/diffusion/ddim_scheduler.h"

#include <algorithm>

#include "core/util/error.h"

namespace sm::diffusion {

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddim.py:185-234 (DDIMScheduler.__init__)
DDIMScheduler::DDIMScheduler(const SchedulerConfig& config) : Scheduler(config) {
  validate(SamplerKind::DDIM, config);
  alphasCumprod_ = alphasCumprod(config.schedule);
  finalAlphaCumprod_ = config.setAlphaToOne ? torch::tensor(1.0f) : alphasCumprod_[0].clone();
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddim.py:297-340 (set_timesteps)
void DDIMScheduler::setTimesteps(int numSteps) {
  checkNumSteps(numSteps);
  const int train = config_.schedule.numTrainTimesteps;
  std::vector<int64_t> steps;
  switch (config_.spacing) {
    case TimestepSpacing::Linspace:
      for (double t : numpyLinspace(0, train - 1, numSteps)) steps.push_back(static_cast<int64_t>(roundHalfEven(t)));
      std::reverse(steps.begin(), steps.end());
      break;
    case TimestepSpacing::Leading: {
      const int64_t ratio = train / numSteps;
      for (int64_t i = numSteps - 1; i >= 0; --i) steps.push_back(i * ratio + config_.stepsOffset);
      break;
    }
    case TimestepSpacing::Trailing:
      for (double t : numpyArange(train, 0, -static_cast<double>(train) / numSteps))
        steps.push_back(static_cast<int64_t>(roundHalfEven(t)) - 1);
      break;
  }
  // numpy's arange gives one value too many for some step counts (61, 103, ...
  // with 1000 training steps); diffusers then runs an extra step at timestep -1,
  // which indexes alphas_cumprod from the end. Keep the numSteps asked for.
  steps.resize(std::min<size_t>(steps.size(), numSteps));
  for (int64_t t : steps)
    if (t < 0 || t >= train)
      throw ConfigError("stepsOffset " + std::to_string(config_.stepsOffset) + " with " + std::to_string(numSteps) +
                        " " + timestepSpacingName(config_.spacing) + " steps gives timestep " + std::to_string(t) +
                        ", outside [0, " + std::to_string(train) + ")");
  timesteps_.assign(steps.begin(), steps.end());
  numSteps_ = numSteps;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddim.py:253-262 (_get_variance), 342-472 (step)
// Scalars stay 0-d float32 tensors, as in diffusers, so every rounding is the same.
torch::Tensor DDIMScheduler::step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                                  std::optional<at::Generator> generator) {
  checkStepIndex(stepIndex);
  const auto t = static_cast<int64_t>(timesteps_[stepIndex]);
  // Always t - T // N, whatever the spacing (ARCHITECTURE_FACTS §8.3).
  const int64_t prevT = t - config_.schedule.numTrainTimesteps / numSteps_;
  const torch::Tensor alphaProdT = alphasCumprod_[t];
  const torch::Tensor alphaProdTPrev = prevT >= 0 ? alphasCumprod_[prevT] : finalAlphaCumprod_;
  const torch::Tensor betaProdT = 1 - alphaProdT;

  torch::Tensor predOriginal;
  torch::Tensor predEpsilon;
  if (config_.prediction == PredictionType::Epsilon) {
    predOriginal = (sample - betaProdT.pow(0.5) * modelOutput) / alphaProdT.pow(0.5);
    predEpsilon = modelOutput;
  } else {
    predOriginal = alphaProdT.pow(0.5) * sample - betaProdT.pow(0.5) * modelOutput;
    predEpsilon = alphaProdT.pow(0.5) * modelOutput + betaProdT.pow(0.5) * sample;
  }
  if (config_.clipSample) predOriginal = predOriginal.clamp(-1.0, 1.0);  // clip_sample_range 1.0

  // _get_variance
  const torch::Tensor betaProdTPrev = 1 - alphaProdTPrev;
  const torch::Tensor variance = (betaProdTPrev / betaProdT) * (1 - alphaProdT / alphaProdTPrev);
  const torch::Tensor stdDevT = variance.pow(0.5) * config_.eta;

  const torch::Tensor direction = (1 - alphaProdTPrev - stdDevT.pow(2)).pow(0.5) * predEpsilon;
  torch::Tensor prevSample = alphaProdTPrev.pow(0.5) * predOriginal + direction;
  if (config_.eta > 0) {
    const torch::Tensor noise =
        randnTensor(modelOutput.sizes(), generator, modelOutput.scalar_type(), modelOutput.device());
    prevSample = prevSample + stdDevT * noise;
  }
  return prevSample;
}

}  // namespace sm::diffusion
