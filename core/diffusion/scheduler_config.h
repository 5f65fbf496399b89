#pragma once
// The settings of the noise schedule and the samplers, without LibTorch, so
// that requests can be built anywhere (the Studio's widgets included).
#include <string>

namespace sm::diffusion {

/// diffusers' beta_schedule. "linear" (diffusers) is LDM's "sqrt_linear", the
/// schedule AnimateDiff's motion modules were trained with; "scaled_linear" is
/// SD's training schedule (LDM's "linear").
enum class BetaSchedule { Linear, ScaledLinear };
/// What the model predicts: the noise, or v = sqrt(abar) eps - sqrt(1 - abar) x0.
enum class PredictionType { Epsilon, VPrediction };
/// How N inference timesteps are picked from the training ones (diffusers' timestep_spacing).
enum class TimestepSpacing { Leading, Linspace, Trailing };

/// diffusers' spelling: "linear", "scaled_linear".
std::string betaScheduleName(BetaSchedule schedule);
/// Throws ConfigError listing the valid names.
BetaSchedule parseBetaSchedule(const std::string& name);
/// "epsilon", "v_prediction".
std::string predictionTypeName(PredictionType type);
PredictionType parsePredictionType(const std::string& name);
/// "leading", "linspace", "trailing".
std::string timestepSpacingName(TimestepSpacing spacing);
TimestepSpacing parseTimestepSpacing(const std::string& name);

/// The training noise schedule; defaults are AnimateDiff's (ARCHITECTURE_FACTS §3.8).
struct NoiseScheduleConfig {
  int numTrainTimesteps = 1000;
  double betaStart = 0.00085;
  double betaEnd = 0.012;
  BetaSchedule betaSchedule = BetaSchedule::Linear;
};

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

}  // namespace sm::diffusion
