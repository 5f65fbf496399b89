#include "core/diffusion/noise_schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/util/error.h"

namespace sm::diffusion {
namespace {

template <typename Enum, size_t N>
std::string nameOf(Enum value, const std::pair<Enum, const char*> (&names)[N]) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  TORCH_CHECK(false, "unnamed enum value ", static_cast<int>(value));
}

template <typename Enum, size_t N>
Enum parseName(const std::string& name, const std::pair<Enum, const char*> (&names)[N], const std::string& what) {
  std::string valid;
  for (const auto& [v, n] : names) {
    if (name == n) return v;
    valid += (valid.empty() ? "" : ", ") + std::string(n);
  }
  throw ConfigError("unknown " + what + " '" + name + "' (valid: " + valid + ")");
}

constexpr std::pair<BetaSchedule, const char*> kBetaScheduleNames[] = {{BetaSchedule::Linear, "linear"},
                                                                       {BetaSchedule::ScaledLinear, "scaled_linear"}};
constexpr std::pair<PredictionType, const char*> kPredictionTypeNames[] = {
    {PredictionType::Epsilon, "epsilon"}, {PredictionType::VPrediction, "v_prediction"}};
constexpr std::pair<TimestepSpacing, const char*> kTimestepSpacingNames[] = {{TimestepSpacing::Leading, "leading"},
                                                                             {TimestepSpacing::Linspace, "linspace"},
                                                                             {TimestepSpacing::Trailing, "trailing"}};

}  // namespace

std::string betaScheduleName(BetaSchedule schedule) { return nameOf(schedule, kBetaScheduleNames); }
BetaSchedule parseBetaSchedule(const std::string& name) { return parseName(name, kBetaScheduleNames, "beta schedule"); }
std::string predictionTypeName(PredictionType type) { return nameOf(type, kPredictionTypeNames); }
PredictionType parsePredictionType(const std::string& name) {
  return parseName(name, kPredictionTypeNames, "prediction type");
}
std::string timestepSpacingName(TimestepSpacing spacing) { return nameOf(spacing, kTimestepSpacingNames); }
TimestepSpacing parseTimestepSpacing(const std::string& name) {
  return parseName(name, kTimestepSpacingNames, "timestep spacing");
}

void validate(const NoiseScheduleConfig& config) {
  if (config.numTrainTimesteps < 1)
    throw ConfigError("numTrainTimesteps must be at least 1, got " + std::to_string(config.numTrainTimesteps));
  // !(a < b) instead of a >= b so that NaN fails too.
  if (!(config.betaStart >= 0.0 && config.betaStart < 1.0))
    throw ConfigError("betaStart must be in [0, 1), got " + std::to_string(config.betaStart));
  if (!(config.betaEnd > config.betaStart && config.betaEnd < 1.0))
    throw ConfigError("betaEnd must be greater than betaStart (" + std::to_string(config.betaStart) +
                      ") and less than 1, got " + std::to_string(config.betaEnd));
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddpm.py:201-221 (DDPMScheduler.__init__)
torch::Tensor alphasCumprod(const NoiseScheduleConfig& config) {
  validate(config);
  torch::Tensor betas;
  if (config.betaSchedule == BetaSchedule::Linear) {
    betas = torch::linspace(config.betaStart, config.betaEnd, config.numTrainTimesteps, torch::kFloat32);
  } else {
    // beta_start**0.5 in Python is pow(), not sqrt(); keep the same libm call.
    betas = torch::linspace(std::pow(config.betaStart, 0.5), std::pow(config.betaEnd, 0.5), config.numTrainTimesteps,
                            torch::kFloat32)
                .pow(2);
  }
  // torch's float32 cumprod is what diffusers runs, so the values match bit for bit.
  return torch::cumprod(1.0 - betas, 0);
}

NoiseSchedule::NoiseSchedule(const NoiseScheduleConfig& config)
    : config_(config), alphasCumprod_(sm::diffusion::alphasCumprod(config)) {}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddpm.py:501-525 (add_noise)
std::pair<torch::Tensor, torch::Tensor> NoiseSchedule::coefficients(const torch::Tensor& like,
                                                                    const torch::Tensor& timesteps) const {
  TORCH_CHECK(!timesteps.is_floating_point(), "training timesteps must be integers, got ", timesteps.scalar_type());
  TORCH_CHECK(like.dim() >= 1 && (timesteps.numel() == 1 || timesteps.numel() == like.size(0)),
              "need one timestep per sample: ", timesteps.numel(), " for a batch of ", like.sizes());
  // Cast to the sample's dtype before taking roots, as diffusers does (fp16 training gets fp16 coefficients).
  const torch::Tensor abar =
      alphasCumprod_.to(like.device()).to(like.scalar_type()).index({timesteps.to(like.device())});
  torch::Tensor sqrtAlpha = abar.pow(0.5).flatten();
  torch::Tensor sqrtOneMinusAlpha = (1 - abar).pow(0.5).flatten();
  while (sqrtAlpha.dim() < like.dim()) sqrtAlpha = sqrtAlpha.unsqueeze(-1);
  while (sqrtOneMinusAlpha.dim() < like.dim()) sqrtOneMinusAlpha = sqrtOneMinusAlpha.unsqueeze(-1);
  return {sqrtAlpha, sqrtOneMinusAlpha};
}

torch::Tensor NoiseSchedule::addNoise(const torch::Tensor& x0, const torch::Tensor& noise,
                                      const torch::Tensor& timesteps) const {
  const auto [sqrtAlpha, sqrtOneMinusAlpha] = coefficients(x0, timesteps);
  return sqrtAlpha * x0 + sqrtOneMinusAlpha * noise;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddpm.py:527-545 (get_velocity)
torch::Tensor NoiseSchedule::velocityTarget(const torch::Tensor& x0, const torch::Tensor& noise,
                                            const torch::Tensor& timesteps) const {
  const auto [sqrtAlpha, sqrtOneMinusAlpha] = coefficients(x0, timesteps);
  return sqrtAlpha * noise - sqrtOneMinusAlpha * x0;
}

torch::Tensor NoiseSchedule::trainingTarget(PredictionType type, const torch::Tensor& x0, const torch::Tensor& noise,
                                            const torch::Tensor& timesteps) const {
  if (type == PredictionType::Epsilon) return noise;
  return velocityTarget(x0, noise, timesteps);
}

// numpy's PyArray_ArangeObj: length ceil((stop - start) / step), first value
// start, second start + step, then DOUBLE_fill's start + i * delta.
std::vector<double> numpyArange(double start, double stop, double step) {
  const double length = std::ceil((stop - start) / step);
  std::vector<double> out;
  if (!(length > 0)) return out;
  const auto n = static_cast<int64_t>(length);
  out.reserve(n);
  out.push_back(start);
  if (n > 1) {
    const double second = start + step;
    const double delta = second - start;
    out.push_back(second);
    for (int64_t i = 2; i < n; ++i) out.push_back(start + static_cast<double>(i) * delta);
  }
  return out;
}

// numpy/_core/function_base.py linspace: i * step + start, the last value set to stop.
std::vector<double> numpyLinspace(double start, double stop, int64_t num) {
  std::vector<double> out;
  const int64_t div = num - 1;
  const double delta = stop - start;
  for (int64_t i = 0; i < num; ++i) {
    const double y = div > 0 ? static_cast<double>(i) * (delta / static_cast<double>(div)) : i * delta;
    out.push_back(y + start);
  }
  if (num > 1) out.back() = stop;
  return out;
}

double roundHalfEven(double x) { return std::nearbyint(x); }

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:405 (set_timesteps)
std::vector<float> sigmaTable(const torch::Tensor& alphasCumprod) {
  const torch::Tensor sigmas = ((1 - alphasCumprod) / alphasCumprod).pow(0.5).contiguous();
  TORCH_CHECK(sigmas.scalar_type() == torch::kFloat32, "alphas_cumprod must be float32");
  const float* data = sigmas.data_ptr<float>();
  return std::vector<float>(data, data + sigmas.numel());
}

// numpy/_core/src/multiarray/compiled/compiled_base.c (arr_interp) on the grid
// 0, 1, ..., n-1: slope * (x - j) + y[j] in float64, exact at the grid points.
std::vector<double> interpolateSigmas(const std::vector<double>& timesteps, const std::vector<float>& table) {
  TORCH_CHECK(!table.empty(), "empty sigma table");
  const auto last = static_cast<int64_t>(table.size()) - 1;
  std::vector<double> out;
  out.reserve(timesteps.size());
  for (double x : timesteps) {
    if (std::isnan(x)) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (x >= static_cast<double>(last)) {
      out.push_back(table[last]);
    } else if (x <= 0.0) {
      out.push_back(table[0]);
    } else {
      const auto j = static_cast<int64_t>(std::floor(x));
      const double y0 = table[j];
      const double slope = static_cast<double>(table[j + 1]) - y0;
      out.push_back(x == static_cast<double>(j) ? y0 : slope * (x - static_cast<double>(j)) + y0);
    }
  }
  return out;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:476-499 (_convert_to_karras)
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int64_t count) {
  constexpr double kRho = 7.0;
  const double minInvRho = std::pow(sigmaMin, 1.0 / kRho);
  const double maxInvRho = std::pow(sigmaMax, 1.0 / kRho);
  std::vector<double> out;
  for (double ramp : numpyLinspace(0.0, 1.0, count))
    out.push_back(std::pow(maxInvRho + ramp * (minInvRho - maxInvRho), kRho));
  return out;
}

// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_euler_discrete.py:452-473 (_sigma_to_t)
double sigmaToTimestep(double sigma, const std::vector<float>& logSigmas) {
  TORCH_CHECK(logSigmas.size() >= 2, "need at least two log sigmas");
  const double logSigma = std::log(std::max(sigma, 1e-10));
  // The last index whose log-sigma is <= log(sigma) (cumsum(dists >= 0).argmax()), 0 if none.
  int64_t low = 0;
  for (size_t i = 0; i < logSigmas.size(); ++i)
    if (logSigma - static_cast<double>(logSigmas[i]) >= 0.0) low = static_cast<int64_t>(i);
  low = std::min<int64_t>(low, static_cast<int64_t>(logSigmas.size()) - 2);
  const float lowValue = logSigmas[low];
  const float highValue = logSigmas[low + 1];
  // numpy subtracts the two float32 scalars in float32; the rest is float64.
  const float span = lowValue - highValue;
  const double w = std::clamp((static_cast<double>(lowValue) - logSigma) / static_cast<double>(span), 0.0, 1.0);
  return (1.0 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1);
}

// ref: diffusers v0.35.2 src/diffusers/utils/torch_utils.py:39-86 (randn_tensor)
torch::Tensor randnTensor(at::IntArrayRef shape, const std::optional<at::Generator>& generator, torch::ScalarType dtype,
                          torch::Device device) {
  torch::Device drawOn = device;
  if (generator && generator->device().type() != device.type()) {
    TORCH_CHECK(generator->device().is_cpu(), "cannot draw a ", device, " tensor from a ", generator->device(),
                " generator");
    drawOn = torch::kCPU;
  }
  return torch::randn(shape, generator, torch::TensorOptions().dtype(dtype).device(drawOn)).to(device);
}

}  // namespace sm::diffusion
