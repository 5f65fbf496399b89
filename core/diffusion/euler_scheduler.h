#pragma once
// Euler and Euler ancestral (Karras et al. 2022's Algorithm 2 without churn,
// k-diffusion's sample_euler_ancestral), as diffusers' EulerDiscreteScheduler
// and EulerAncestralDiscreteScheduler compute them (ARCHITECTURE_FACTS §8.4).
// One class: the two share the sigma schedule and differ only in how a step
// lands on the next sigma.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py (EulerDiscreteScheduler)
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py
#include "core/diffusion/scheduler.h"

namespace sm::diffusion {

class EulerScheduler : public Scheduler {
 public:
  /// `ancestral`: Euler ancestral, which adds fresh noise at every step. Throws ConfigError for an invalid config.
  EulerScheduler(const SchedulerConfig& config, bool ancestral);

  SamplerKind kind() const override { return ancestral_ ? SamplerKind::EulerAncestral : SamplerKind::Euler; }
  /// Timesteps are float32 and fractional with "linspace" spacing or Karras
  /// sigmas; sigmas are interpolated in the training sigma table at them.
  void setTimesteps(int numSteps) override;
  /// The largest sigma ("linspace", "trailing") or sqrt(sigma_max^2 + 1) ("leading").
  double initNoiseSigma() const override { return initNoiseSigma_; }
  std::vector<double> sigmas() const override;
  /// sample / sqrt(sigma^2 + 1).
  torch::Tensor scaleModelInput(const torch::Tensor& sample, int stepIndex) const override;
  /// Computes in float32 and returns the model output's dtype, as diffusers does.
  torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                     std::optional<at::Generator> generator = std::nullopt) override;

 private:
  std::vector<double> spacedTimesteps(int numSteps) const;
  void updateInitNoiseSigma();

  bool ancestral_;
  std::vector<float> sigmaTable_;  ///< sigma(t) for t = 0 .. numTrainTimesteps-1
  torch::Tensor sigmas_;           ///< float32 [numSteps + 1] on the CPU, the last one 0
  double initNoiseSigma_ = 1.0;
};

}  // namespace sm::diffusion
