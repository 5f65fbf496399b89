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

namespace sm::diffusion {

enum class SamplerKind { DDIM, Euler, EulerAncestral, DPMSolverPlusPlus2M };

/// "ddim", "euler", "euler-a", "dpmpp-2m" (the CLI's names).
std::string samplerName(SamplerKind kind);
/// The inverse of samplerName; throws ConfigError listing the valid names.
SamplerKind parseSamplerName(const std::string& name);

struct SchedulerConfig {
  NoiseScheduleConfig schedule;  ///< betas (AnimateDiff's: linear 0.00085 to 0.012, 1000 steps)
  PredictionType prediction = PredictionType::Epsilon;
  TimestepSpacing spacing = TimestepSpacing::Leading;
  int stepsOffset = 1;
  /// DDIM: the "previous" alpha_cumprod after the last step is 1 (true, original
  /// AnimateDiff) or alphas_cumprod[0] (false, SD-derived configs).
  bool setAlphaToOne = true;
  /// DDIM: clamp the predicted x0 to [-1, 1] (off for AnimateDiff).
  bool clipSample = false;
  /// DDIM: 0 is deterministic DDIM, 1 is DDPM-like. The other samplers ignore
  /// it, as diffusers' pipelines do.
  double eta = 0.0;
  /// Euler, Euler ancestral, DPM++ 2M: Karras et al. (2022) sigmas (rho 7) instead of the spacing's.
  bool karrasSigmas = false;
};

/// AnimateDiff's own DDIM configuration (ARCHITECTURE_FACTS §3.8) with the
/// given sampler; the spacing defaults to each diffusers class's default.
SchedulerConfig animateDiffSchedulerConfig(SamplerKind kind);

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
