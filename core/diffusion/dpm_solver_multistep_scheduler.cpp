#include "core/diffusion/dpm_solver_multistep_scheduler.h"

#include <algorithm>
#include <cmath>

namespace sm::diffusion {
namespace {

// alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha_t, on 0-d float32
// tensors. torch evaluates Python's 1 / x as reciprocal(x) * 1.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:518-526 (_sigma_to_alpha_sigma_t)
std::pair<torch::Tensor, torch::Tensor> alphaSigma(const torch::Tensor& sigma) {
  const torch::Tensor alpha = (sigma.pow(2) + 1).pow(0.5).reciprocal();
  return {alpha, sigma * alpha};
}

// lambda = log(alpha_t) - log(sigma_t), the half log-SNR.
torch::Tensor lambdaOf(const torch::Tensor& alpha, const torch::Tensor& sigma) {
  return torch::log(alpha) - torch::log(sigma);
}

}  // namespace

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:205-305 (__init__)
DPMSolverMultistepScheduler::DPMSolverMultistepScheduler(const SchedulerConfig& config) : Scheduler(config) {
  validate(SamplerKind::DPMSolverPlusPlus2M, config);
  sigmaTable_ = sigmaTable(alphasCumprod(config.schedule));
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:369-400 (set_timesteps)
std::vector<double> DPMSolverMultistepScheduler::spacedTimesteps(int numSteps) const {
  const int train = config_.schedule.numTrainTimesteps;
  // lambda_min_clipped is -inf, so no timestep is clipped away.
  const int last = train;
  std::vector<double> steps;
  switch (config_.spacing) {
    case TimestepSpacing::Linspace: {
      // numSteps + 1 points from 0 to last - 1, reversed, without the final 0.
      const std::vector<double> points = numpyLinspace(0, last - 1, numSteps + 1);
      for (int i = numSteps; i >= 1; --i) steps.push_back(roundHalfEven(points[i]));
      break;
    }
    case TimestepSpacing::Leading: {
      const int64_t ratio = last / (numSteps + 1);
      for (int64_t i = numSteps; i >= 1; --i) steps.push_back(static_cast<double>(i * ratio + config_.stepsOffset));
      break;
    }
    case TimestepSpacing::Trailing:
      for (double t : numpyArange(last, 0, -static_cast<double>(train) / numSteps))
        steps.push_back(roundHalfEven(t) - 1);
      // numpy's arange can add one value (about -1) for some step counts; see DDIMScheduler::setTimesteps.
      steps.resize(std::min<size_t>(steps.size(), numSteps));
      break;
  }
  return steps;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:331-458 (set_timesteps)
void DPMSolverMultistepScheduler::setTimesteps(int numSteps) {
  checkNumSteps(numSteps);
  std::vector<double> steps = spacedTimesteps(numSteps);
  std::vector<double> sigmas;
  if (config_.karrasSigmas) {
    // From the smallest to the largest training sigma whatever the spacing;
    // the timesteps are the rounded ones nearest to the Karras sigmas.
    sigmas = karrasSigmas(sigmaTable_.front(), sigmaTable_.back(), numSteps);
    std::vector<float> logSigmas;
    for (float s : sigmaTable_) logSigmas.push_back(static_cast<float>(std::log(static_cast<double>(s))));
    steps.clear();
    for (double s : sigmas) steps.push_back(roundHalfEven(sigmaToTimestep(s, logSigmas)));
  } else {
    sigmas = interpolateSigmas(steps, sigmaTable_);
  }
  sigmas.push_back(0.0);  // final_sigmas_type "zero"
  const std::vector<float> rounded(sigmas.begin(), sigmas.end());
  sigmas_ = torch::tensor(rounded, torch::kFloat32);
  timesteps_ = steps;
  modelOutputs_ = {};
  lowerOrderNums_ = 0;
  nextStep_ = -1;
}

std::vector<double> DPMSolverMultistepScheduler::sigmas() const {
  if (timesteps_.empty()) return {};
  const float* data = sigmas_.data_ptr<float>();
  return std::vector<double>(data, data + sigmas_.numel());
}

// The data prediction x0 that DPM-Solver++ integrates.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:621-721 (convert_model_output)
torch::Tensor DPMSolverMultistepScheduler::convertModelOutput(const torch::Tensor& modelOutput, int stepIndex,
                                                              const torch::Tensor& sample) const {
  const auto [alphaT, sigmaT] = alphaSigma(sigmas_[stepIndex]);
  if (config_.prediction == PredictionType::Epsilon) return (sample - sigmaT * modelOutput) / alphaT;
  return alphaT * sample - sigmaT * modelOutput;
}

// DDIM-like first-order step.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:723-790
// (dpm_solver_first_order_update)
torch::Tensor DPMSolverMultistepScheduler::firstOrderUpdate(const torch::Tensor& x0, int stepIndex,
                                                            const torch::Tensor& sample) const {
  const auto [alphaT, sigmaT] = alphaSigma(sigmas_[stepIndex + 1]);
  const auto [alphaS, sigmaS] = alphaSigma(sigmas_[stepIndex]);
  // At the final sigma 0, lambda_t = +inf and exp(-h) = 0: the step returns x0.
  const torch::Tensor h = lambdaOf(alphaT, sigmaT) - lambdaOf(alphaS, sigmaS);
  return (sigmaT / sigmaS) * sample - (alphaT * (torch::exp(-h) - 1.0)) * x0;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:792-913
// (multistep_dpm_solver_second_order_update, dpmsolver++ midpoint)
torch::Tensor DPMSolverMultistepScheduler::secondOrderUpdate(int stepIndex, const torch::Tensor& sample) const {
  const auto [alphaT, sigmaT] = alphaSigma(sigmas_[stepIndex + 1]);
  const auto [alphaS0, sigmaS0] = alphaSigma(sigmas_[stepIndex]);
  const auto [alphaS1, sigmaS1] = alphaSigma(sigmas_[stepIndex - 1]);
  const torch::Tensor lambdaT = lambdaOf(alphaT, sigmaT);
  const torch::Tensor lambdaS0 = lambdaOf(alphaS0, sigmaS0);
  const torch::Tensor lambdaS1 = lambdaOf(alphaS1, sigmaS1);

  const torch::Tensor& m0 = modelOutputs_[1];
  const torch::Tensor& m1 = modelOutputs_[0];
  const torch::Tensor h = lambdaT - lambdaS0;
  const torch::Tensor h0 = lambdaS0 - lambdaS1;
  const torch::Tensor r0 = h0 / h;
  const torch::Tensor d1 = r0.reciprocal() * (m0 - m1);  // (1.0 / r0) * (m0 - m1)
  return (sigmaT / sigmaS0) * sample - (alphaT * (torch::exp(-h) - 1.0)) * m0 -
         0.5 * (alphaT * (torch::exp(-h) - 1.0)) * d1;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py:1041-1128 (step)
torch::Tensor DPMSolverMultistepScheduler::step(const torch::Tensor& modelOutput, int stepIndex,
                                                const torch::Tensor& sample, std::optional<at::Generator>) {
  checkStepIndex(stepIndex);
  TORCH_CHECK(nextStep_ < 0 || stepIndex == nextStep_, "DPM-Solver++ expected step ", nextStep_, ", got ", stepIndex,
              " (call setTimesteps to start a new run)");
  // final_sigmas_type "zero": the last step is always first order (lower_order_final).
  const bool lastStep = stepIndex == static_cast<int>(timesteps_.size()) - 1;
  const torch::Tensor x0 = convertModelOutput(modelOutput, stepIndex, sample);
  modelOutputs_[0] = modelOutputs_[1];
  modelOutputs_[1] = x0;

  // Upcast, as diffusers does, against precision loss in the update.
  const torch::Tensor sample32 = sample.to(torch::kFloat32);
  const torch::Tensor prevSample = (lowerOrderNums_ < 1 || lastStep) ? firstOrderUpdate(x0, stepIndex, sample32)
                                                                     : secondOrderUpdate(stepIndex, sample32);
  lowerOrderNums_ = std::min(lowerOrderNums_ + 1, 2);
  nextStep_ = stepIndex + 1;
  return prevSample.to(x0.scalar_type());
}

}  // namespace sm::diffusion
