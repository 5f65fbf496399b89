#pragma once
// The DDPM noise schedule as diffusers computes it (betas, alphas_cumprod, the
// forward noising and the training targets), plus the few numerics every
// sampler shares: numpy's arange / linspace / interp, the sigma table, Karras
// sigmas and diffusers' randn_tensor. Each reproduces its Python original
// operation for operation, so the samplers built on them give diffusers'
// numbers (see tests/diffusion/scheduler_test.cpp).
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/diffusion/scheduler_config.h"

namespace sm::diffusion {

/// Throws ConfigError naming the parameter: numTrainTimesteps >= 1, 0 <= betaStart < betaEnd < 1.
void validate(const NoiseScheduleConfig& config);

/// alphas_cumprod[t] = prod_{s<=t} (1 - beta_s), float32 [numTrainTimesteps] on
/// the CPU, computed by the same torch ops as diffusers (so bit-identical).
torch::Tensor alphasCumprod(const NoiseScheduleConfig& config);

/// The forward process and the training targets (ARCHITECTURE_FACTS §8.6).
/// `timesteps` holds one integer timestep per sample (dim 0 of x0); the
/// coefficients broadcast over the remaining dims.
class NoiseSchedule {
 public:
  explicit NoiseSchedule(const NoiseScheduleConfig& config);

  const NoiseScheduleConfig& config() const { return config_; }
  /// float32 [numTrainTimesteps], CPU.
  const torch::Tensor& alphasCumprod() const { return alphasCumprod_; }

  /// x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise (diffusers' add_noise).
  torch::Tensor addNoise(const torch::Tensor& x0, const torch::Tensor& noise, const torch::Tensor& timesteps) const;
  /// v = sqrt(abar_t) noise - sqrt(1 - abar_t) x0 (diffusers' get_velocity).
  torch::Tensor velocityTarget(const torch::Tensor& x0, const torch::Tensor& noise,
                               const torch::Tensor& timesteps) const;
  /// What the model should predict for x_t: the noise (epsilon) or v.
  torch::Tensor trainingTarget(PredictionType type, const torch::Tensor& x0, const torch::Tensor& noise,
                               const torch::Tensor& timesteps) const;

 private:
  /// sqrt(abar_t) and sqrt(1 - abar_t) for each sample, shaped to broadcast against `like`.
  std::pair<torch::Tensor, torch::Tensor> coefficients(const torch::Tensor& like, const torch::Tensor& timesteps) const;

  NoiseScheduleConfig config_;
  torch::Tensor alphasCumprod_;
};

// --- Numerics the samplers share -------------------------------------------

/// numpy.arange(start, stop, step) for floats, value for value (numpy fills
/// start + i * ((start + step) - start), and its length can be one more than
/// (stop - start) / step suggests).
std::vector<double> numpyArange(double start, double stop, double step);
/// numpy.linspace(start, stop, num) in float64 (endpoint included).
std::vector<double> numpyLinspace(double start, double stop, int64_t num);
/// numpy's round(): half to even.
double roundHalfEven(double x);

/// sigma(t) = sqrt((1 - abar_t) / abar_t) for every training timestep, float32
/// as diffusers computes it with torch before handing it to numpy.
std::vector<float> sigmaTable(const torch::Tensor& alphasCumprod);
/// numpy.interp(x, arange(table.size()), table): linear interpolation of the
/// table at (possibly fractional) timesteps, clamped at both ends.
std::vector<double> interpolateSigmas(const std::vector<double>& timesteps, const std::vector<float>& table);
/// Karras et al. (2022) sigmas, rho 7, from sigmaMax down to sigmaMin (`count` values, float64).
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int64_t count);
/// diffusers' _sigma_to_t: the fractional timestep whose log-sigma interpolates to log(sigma).
/// `logSigmas` is log(sigmaTable) in float32.
double sigmaToTimestep(double sigma, const std::vector<float>& logSigmas);

/// diffusers' randn_tensor: randn of `shape` from `generator` (the default one
/// when absent); a CPU generator draws on the CPU and the result moves to
/// `device`, so a seed gives the same noise on every device.
torch::Tensor randnTensor(at::IntArrayRef shape, const std::optional<at::Generator>& generator, torch::ScalarType dtype,
                          torch::Device device);

}  // namespace sm::diffusion
