#pragma once
// The sampler interface the pipelines drive: diffusers' SchedulerMixin reduced
// to what generation needs (set_timesteps, init_noise_sigma,
// scale_model_input, step). Implementations: DDIM, Euler, Euler ancestral,
// DPM-Solver++ 2M. Each one's step equals diffusers' on the same inputs.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/scheduler_config.h"

namespace sm::diffusion {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual SamplerKind kind() const = 0;

  /// Chooses `numSteps` timesteps (1 <= numSteps <= numTrainTimesteps) and resets the state of multistep samplers.
  virtual void setTimesteps(int numSteps) = 0;
  /// The timesteps the UNet receives, in order (integers for DDIM and DPM++,
  /// possibly fractional for Euler with linspace spacing).
  const std::vector<double>& timesteps() const { return timesteps_; }
  /// The standard deviation of the initial noise: latents = randn * initNoiseSigma().
  virtual double initNoiseSigma() const { return 1.0; }
  /// The noise levels of the schedule, timesteps().size() + 1 values ending in
  /// 0 (Euler, Euler ancestral, DPM++); empty for DDIM, which has none.
  virtual std::vector<double> sigmas() const { return {}; }
  /// The UNet input for step `stepIndex` (Euler: sample / sqrt(sigma^2 + 1); DDIM: sample).
  virtual torch::Tensor scaleModelInput(const torch::Tensor& sample, [[maybe_unused]] int stepIndex) const {
    return sample;
  }
  /// One denoising step from timesteps()[stepIndex] to the next. `modelOutput`
  /// is the (guided) UNet prediction. Samplers that add noise (Euler ancestral,
  /// DDIM with eta > 0) draw it from `generator` with randn in the sample's
  /// shape, on the CPU when the generator is a CPU one (diffusers' randn_tensor).
  virtual torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                             std::optional<at::Generator> generator = std::nullopt) = 0;

  const SchedulerConfig& config() const { return config_; }

 protected:
  explicit Scheduler(const SchedulerConfig& config) : config_(config) {}
  /// Throws ConfigError unless 1 <= numSteps <= numTrainTimesteps.
  void checkNumSteps(int numSteps) const;
  /// TORCH_CHECK (a caller's bug, not a user's): setTimesteps ran and stepIndex is one of its steps.
  void checkStepIndex(int stepIndex) const;
  SchedulerConfig config_;
  std::vector<double> timesteps_;
};

/// Throws ConfigError naming the first invalid parameter (the noise schedule's,
/// eta < 0, stepsOffset < 0, Karras sigmas for DDIM).
void validate(SamplerKind kind, const SchedulerConfig& config);

/// Throws ConfigError for an invalid config.
std::unique_ptr<Scheduler> makeScheduler(SamplerKind kind, const SchedulerConfig& config);

}  // namespace sm::diffusion
