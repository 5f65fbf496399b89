#include "core/diffusion/euler_scheduler.h"

#include <algorithm>
#include <cmath>

namespace sm::diffusion {
namespace {

torch::Tensor toFloatTensor(const std::vector<double>& values) {
  std::vector<float> rounded(values.begin(), values.end());
  return torch::tensor(rounded, torch::kFloat32);
}

}  // namespace

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:187-259 (__init__)
EulerScheduler::EulerScheduler(const SchedulerConfig& config, bool ancestral)
    : Scheduler(config), ancestral_(ancestral) {
  validate(kind(), config);
  sigmaTable_ = sigmaTable(alphasCumprod(config.schedule));
  // Before setTimesteps diffusers holds the whole training table, largest first.
  std::vector<double> all(sigmaTable_.rbegin(), sigmaTable_.rend());
  all.push_back(0.0);
  sigmas_ = toFloatTensor(all);
  updateInitNoiseSigma();
}

// The timesteps of set_timesteps before any Karras conversion: float32 values held as doubles.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:378-403 (set_timesteps)
std::vector<double> EulerScheduler::spacedTimesteps(int numSteps) const {
  const int train = config_.schedule.numTrainTimesteps;
  std::vector<double> steps;
  switch (config_.spacing) {
    case TimestepSpacing::Linspace:
      // Not rounded: Euler passes fractional timesteps to the UNet.
      for (double t : numpyLinspace(0, train - 1, numSteps)) steps.push_back(static_cast<float>(t));
      std::reverse(steps.begin(), steps.end());
      break;
    case TimestepSpacing::Leading: {
      const int64_t ratio = train / numSteps;
      for (int64_t i = numSteps - 1; i >= 0; --i)
        steps.push_back(static_cast<float>(i * ratio) + static_cast<float>(config_.stepsOffset));
      break;
    }
    case TimestepSpacing::Trailing:
      for (double t : numpyArange(train, 0, -static_cast<double>(train) / numSteps))
        steps.push_back(static_cast<float>(roundHalfEven(t)) - 1.0f);
      // numpy's arange can add one value (about -1) for some step counts; see DDIMScheduler::setTimesteps.
      steps.resize(std::min<size_t>(steps.size(), numSteps));
      break;
  }
  return steps;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:319-450 (set_timesteps)
void EulerScheduler::setTimesteps(int numSteps) {
  checkNumSteps(numSteps);
  std::vector<double> steps = spacedTimesteps(numSteps);
  std::vector<double> sigmas = interpolateSigmas(steps, sigmaTable_);
  if (config_.karrasSigmas) {
    // diffusers' EulerAncestralDiscreteScheduler has no Karras option; ours uses
    // EulerDiscreteScheduler's Karras schedule (k-diffusion's "Euler a Karras").
    sigmas = karrasSigmas(sigmas.back(), sigmas.front(), numSteps);
    std::vector<float> logSigmas;
    for (float s : sigmaTable_) logSigmas.push_back(static_cast<float>(std::log(static_cast<double>(s))));
    steps.clear();
    for (double s : sigmas) steps.push_back(static_cast<float>(sigmaToTimestep(s, logSigmas)));
  }
  sigmas.push_back(0.0);  // final_sigmas_type "zero"
  sigmas_ = toFloatTensor(sigmas);
  timesteps_ = steps;
  updateInitNoiseSigma();
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:261-268 (init_noise_sigma)
void EulerScheduler::updateInitNoiseSigma() {
  const torch::Tensor maxSigma = sigmas_.max();
  const bool leading = config_.spacing == TimestepSpacing::Leading;
  initNoiseSigma_ = (leading ? (maxSigma.pow(2) + 1).pow(0.5) : maxSigma).item<double>();
}

std::vector<double> EulerScheduler::sigmas() const {
  const float* data = sigmas_.data_ptr<float>();
  return std::vector<double>(data, data + sigmas_.numel());
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:295-317 (scale_model_input)
torch::Tensor EulerScheduler::scaleModelInput(const torch::Tensor& sample, int stepIndex) const {
  checkStepIndex(stepIndex);
  const torch::Tensor sigma = sigmas_[stepIndex];
  return sample / (sigma.pow(2) + 1).pow(0.5);
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:576-684 (step, s_churn 0)
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py:345-445 (step)
// Sigmas stay 0-d float32 CPU tensors, as in diffusers, so every rounding is the same.
torch::Tensor EulerScheduler::step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                                   std::optional<at::Generator> generator) {
  checkStepIndex(stepIndex);
  const torch::Tensor sample32 = sample.to(torch::kFloat32);
  // With s_churn 0 diffusers' sigma_hat = sigma * (0 + 1) is sigma itself.
  const torch::Tensor sigma = sigmas_[stepIndex];
  const torch::Tensor sigmaNext = sigmas_[stepIndex + 1];

  torch::Tensor predOriginal;
  if (config_.prediction == PredictionType::Epsilon) {
    predOriginal = sample32 - sigma * modelOutput;
  } else {
    predOriginal = modelOutput * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + sample32 / (sigma.pow(2) + 1);
  }
  const torch::Tensor derivative = (sample32 - predOriginal) / sigma;

  torch::Tensor prevSample;
  if (!ancestral_) {
    prevSample = sample32 + derivative * (sigmaNext - sigma);
  } else {
    // Go down to sigma_down deterministically, then add sigma_up of fresh noise.
    const torch::Tensor sigmaUp = (sigmaNext.pow(2) * (sigma.pow(2) - sigmaNext.pow(2)) / sigma.pow(2)).pow(0.5);
    const torch::Tensor sigmaDown = (sigmaNext.pow(2) - sigmaUp.pow(2)).pow(0.5);
    prevSample = sample32 + derivative * (sigmaDown - sigma);
    const torch::Tensor noise =
        randnTensor(modelOutput.sizes(), generator, modelOutput.scalar_type(), modelOutput.device());
    prevSample = prevSample + noise * sigmaUp;
  }
  return prevSample.to(modelOutput.scalar_type());
}

}  // namespace sm::diffusion
