#pragma once
// DDIM (Song et al. 2020), the sampler of the original AnimateDiff configs, as
// diffusers' DDIMScheduler computes it (ARCHITECTURE_FACTS §8.3).
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddim.py (DDIMScheduler)
#include "core/diffusion/scheduler.h"

namespace sm::diffusion {

class DDIMScheduler : public Scheduler {
 public:
  /// Throws ConfigError for an invalid config.
  explicit DDIMScheduler(const SchedulerConfig& config);

  SamplerKind kind() const override { return SamplerKind::DDIM; }
  /// Throws ConfigError when a "leading" timestep plus stepsOffset reaches numTrainTimesteps.
  void setTimesteps(int numSteps) override;
  torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                     std::optional<at::Generator> generator = std::nullopt) override;

 private:
  torch::Tensor alphasCumprod_;      ///< float32 [numTrainTimesteps], CPU
  torch::Tensor finalAlphaCumprod_;  ///< 0-d: the "previous" alpha_cumprod of the last step
  int numSteps_ = 0;
};

}  // namespace sm::diffusion
