// The samplers and the noise schedule against diffusers 0.35.2: every case of
// tests/data/parity/schedulers.safetensors (written by
// tests/reference/make_scheduler_reference.py) is replayed here, plus the
// checks diffusers cannot give (names, errors, state resets).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/diffusion/scheduler.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"
#include "tests/tensor_test_util.h"

namespace sm::diffusion {
namespace {

const std::string kParityFile = std::string(SM_TEST_DATA_DIR) + "/parity/schedulers.safetensors";

// fp32 agreement asked of every compared tensor, relative to its largest value.
constexpr double kRelativeTolerance = 1e-5;

struct Reference {
  std::map<std::string, torch::Tensor> tensors;
  nlohmann::json meta;

  const torch::Tensor& at(const std::string& key) const {
    const auto it = tensors.find(key);
    if (it == tensors.end()) throw std::runtime_error("schedulers.safetensors has no tensor '" + key + "'");
    return it->second;
  }
  bool has(const std::string& key) const { return tensors.count(key) > 0; }
};

const Reference& reference() {
  static const Reference ref = [] {
    Reference r;
    r.tensors = test::readTensors(kParityFile);
    r.meta = nlohmann::json::parse(io::readStateDict(kParityFile).metadata.at("cases"));
    return r;
  }();
  return ref;
}

SchedulerConfig configOf(const nlohmann::json& c) {
  SchedulerConfig config;
  config.schedule.numTrainTimesteps = c.at("num_train_timesteps").get<int>();
  config.schedule.betaStart = c.at("beta_start").get<double>();
  config.schedule.betaEnd = c.at("beta_end").get<double>();
  config.schedule.betaSchedule = parseBetaSchedule(c.at("beta_schedule").get<std::string>());
  config.prediction = parsePredictionType(c.at("prediction_type").get<std::string>());
  config.spacing = parseTimestepSpacing(c.at("timestep_spacing").get<std::string>());
  config.stepsOffset = c.at("steps_offset").get<int>();
  config.setAlphaToOne = c.at("set_alpha_to_one").get<bool>();
  config.clipSample = c.at("clip_sample").get<bool>();
  config.eta = c.at("eta").get<double>();
  config.karrasSigmas = c.at("use_karras_sigmas").get<bool>();
  return config;
}

/// max|got - want| / max(1, max|want|), in float64.
double relativeError(const torch::Tensor& got, const torch::Tensor& want) {
  const double scale = std::max(1.0, want.to(torch::kDouble).abs().max().item<double>());
  return test::maxAbsDiff(got, want) / scale;
}

torch::Tensor asTensor(const std::vector<double>& values) { return torch::tensor(values, torch::kDouble); }

/// The largest relative errors of one case.
struct CaseErrors {
  double timesteps = 0.0;  ///< fractional timesteps (Euler), relative to numTrainTimesteps
  double tensors = 0.0;    ///< sigmas, scaled inputs and step outputs
};

/// Compares one case's schedule and run with diffusers'.
CaseErrors checkCase(const nlohmann::json& c) {
  const Reference& ref = reference();
  const std::string name = c.at("name").get<std::string>();
  const std::string prefix = c.at("prefix").get<std::string>();
  SCOPED_TRACE("case " + name);
  const SamplerKind kind = parseSamplerName(c.at("sampler").get<std::string>());
  const bool eulerFamily = kind == SamplerKind::Euler || kind == SamplerKind::EulerAncestral;
  const int numSteps = c.at("num_steps").get<int>();
  auto scheduler = makeScheduler(kind, configOf(c));
  scheduler->setTimesteps(numSteps);
  CaseErrors worst;

  // Timesteps: integers must be equal; fractional ones (Euler) within float32 rounding.
  const torch::Tensor wantTimesteps = ref.at(prefix + "timesteps");
  EXPECT_EQ(static_cast<int64_t>(scheduler->timesteps().size()), wantTimesteps.numel()) << name;
  if (static_cast<int64_t>(scheduler->timesteps().size()) != wantTimesteps.numel()) return {INFINITY, INFINITY};
  const torch::Tensor gotTimesteps = asTensor(scheduler->timesteps());
  if (wantTimesteps.scalar_type() == torch::kInt64) {
    EXPECT_TRUE(torch::equal(gotTimesteps, wantTimesteps.to(torch::kDouble)))
        << name << ": timesteps " << gotTimesteps << " want " << wantTimesteps;
  } else {
    const double error = test::maxAbsDiff(gotTimesteps, wantTimesteps) / 1000.0;
    EXPECT_LE(error, kRelativeTolerance) << name << ": timesteps " << gotTimesteps << " want " << wantTimesteps;
    worst.timesteps = std::max(worst.timesteps, error);
  }

  const double wantSigma = ref.at(prefix + "init_noise_sigma").item<double>();
  EXPECT_NEAR(scheduler->initNoiseSigma(), wantSigma, 1e-6 * wantSigma) << name << ": init_noise_sigma";
  if (ref.has(prefix + "sigmas")) {
    const double error = relativeError(asTensor(scheduler->sigmas()), ref.at(prefix + "sigmas"));
    EXPECT_LE(error, kRelativeTolerance) << name << ": sigmas";
    worst.tensors = std::max(worst.tensors, error);
  } else {
    EXPECT_TRUE(scheduler->sigmas().empty()) << name;
  }

  std::optional<at::Generator> generator;
  if (!c.at("seed").is_null()) generator = at::make_generator<at::CPUGeneratorImpl>(c.at("seed").get<uint64_t>());
  const std::set<int> saved = c.at("saved_steps").get<std::set<int>>();
  const torch::Tensor modelOutputs = ref.at("inputs/model_output");
  // As AnimateDiffPipeline.prepare_latents: noise * init_noise_sigma.
  torch::Tensor latents = ref.at("inputs/noise") * scheduler->initNoiseSigma();
  for (int i = 0; i < numSteps; ++i) {
    const std::string step = prefix + "step" + std::to_string(i) + "/";
    const torch::Tensor scaled = scheduler->scaleModelInput(latents, i);
    if (!eulerFamily) {
      EXPECT_TRUE(torch::equal(scaled, latents)) << name << ": scale_model_input is the identity";
    } else if (saved.count(i)) {
      const double error = relativeError(scaled, ref.at(step + "scaled"));
      EXPECT_LE(error, kRelativeTolerance) << name << ": scaled input of step " << i;
      worst.tensors = std::max(worst.tensors, error);
    }
    latents = scheduler->step(modelOutputs[i], i, latents, generator);
    if (saved.count(i)) {
      const double error = relativeError(latents, ref.at(step + "out"));
      EXPECT_LE(error, kRelativeTolerance) << name << ": output of step " << i;
      worst.tensors = std::max(worst.tensors, error);
    }
  }
  return worst;
}

TEST(SchedulerParity, EveryDiffusersCase) {
  torch::NoGradGuard noGrad;
  const nlohmann::json& cases = reference().meta.at("cases");
  std::set<std::string> covered;
  CaseErrors worst;
  std::string worstCase = "none (all bit-identical)";
  for (const auto& c : cases) {
    const CaseErrors errors = checkCase(c);
    worst.timesteps = std::max(worst.timesteps, errors.timesteps);
    if (errors.tensors > worst.tensors) worst.tensors = errors.tensors, worstCase = c.at("name").get<std::string>();
    covered.insert(c.at("sampler").get<std::string>() + "/" + c.at("timestep_spacing").get<std::string>() + "/" +
                   c.at("prediction_type").get<std::string>() + (c.at("use_karras_sigmas").get<bool>() ? "/k" : ""));
  }
  // Every sampler x spacing x prediction (x Karras where it exists) must have been compared.
  for (SamplerKind kind :
       {SamplerKind::DDIM, SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::DPMSolverPlusPlus2M})
    for (auto spacing : {TimestepSpacing::Leading, TimestepSpacing::Linspace, TimestepSpacing::Trailing})
      for (auto prediction : {PredictionType::Epsilon, PredictionType::VPrediction})
        for (bool karras : {false, true}) {
          if (karras && kind == SamplerKind::DDIM) continue;
          const std::string key = samplerName(kind) + "/" + timestepSpacingName(spacing) + "/" +
                                  predictionTypeName(prediction) + (karras ? "/k" : "");
          EXPECT_TRUE(covered.count(key)) << "no reference case for " << key;
        }
  std::cout << "[ cases ] " << cases.size() << " diffusers cases, largest tensor error in " << worstCase << "\n";
  test::reportError("scheduler tensors, max relative error", worst.tensors);
  test::reportError("Euler timesteps, max error / numTrainTimesteps", worst.timesteps);
}

TEST(NoiseSchedule, AlphasCumprodMatchesDiffusersBitForBit) {
  for (BetaSchedule schedule : {BetaSchedule::Linear, BetaSchedule::ScaledLinear}) {
    NoiseScheduleConfig config;
    config.betaSchedule = schedule;
    const torch::Tensor got = alphasCumprod(config);
    const torch::Tensor& want = reference().at("alphas_cumprod/" + betaScheduleName(schedule));
    EXPECT_EQ(got.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(torch::equal(got, want)) << betaScheduleName(schedule) << " max diff " << test::maxAbsDiff(got, want);
  }
}

TEST(NoiseSchedule, AlphasCumprodAnchors) {
  // ARCHITECTURE_FACTS §8.1 (a float64 recomputation, quoted to 6 digits).
  const std::map<BetaSchedule, std::vector<std::pair<int, double>>> anchors = {
      {BetaSchedule::Linear, {{0, 0.99915}, {499, 0.161812}, {999, 0.00157896}}},
      {BetaSchedule::ScaledLinear, {{0, 0.99915}, {499, 0.277670}, {999, 0.00466010}}}};
  for (const auto& [schedule, points] : anchors) {
    NoiseScheduleConfig config;
    config.betaSchedule = schedule;
    const torch::Tensor abar = alphasCumprod(config);
    ASSERT_EQ(abar.numel(), 1000);
    for (const auto& [t, want] : points)
      EXPECT_NEAR(abar[t].item<double>(), want, 5e-6 * want) << betaScheduleName(schedule) << " t=" << t;
  }
}

TEST(NoiseSchedule, EulerSigmaMaxAnchors) {
  // ARCHITECTURE_FACTS §8.4: sigma_max 25.1461 (linear), 14.6146 (scaled_linear); sigma_min 0.0291675.
  for (const auto& [schedule, sigmaMax] : std::vector<std::pair<BetaSchedule, double>>{
           {BetaSchedule::Linear, 25.1461}, {BetaSchedule::ScaledLinear, 14.6146}}) {
    SchedulerConfig config = animateDiffSchedulerConfig(SamplerKind::Euler);
    config.schedule.betaSchedule = schedule;
    auto euler = makeScheduler(SamplerKind::Euler, config);
    euler->setTimesteps(25);
    EXPECT_NEAR(euler->initNoiseSigma(), sigmaMax, 1e-4) << betaScheduleName(schedule);
    const std::vector<float> table = sigmaTable(alphasCumprod(config.schedule));
    EXPECT_NEAR(table.front(), 0.0291675, 1e-6) << betaScheduleName(schedule);
  }
}

TEST(NoiseSchedule, AddNoiseAndVelocityMatchDiffusers) {
  const Reference& ref = reference();
  const torch::Tensor& x0 = ref.at("training/x0");
  const torch::Tensor& noise = ref.at("training/noise");
  const torch::Tensor& timesteps = ref.at("training/timesteps");
  for (BetaSchedule schedule : {BetaSchedule::Linear, BetaSchedule::ScaledLinear}) {
    const std::string name = betaScheduleName(schedule);
    NoiseScheduleConfig config;
    config.betaSchedule = schedule;
    const NoiseSchedule noiseSchedule(config);
    const torch::Tensor noisy = noiseSchedule.addNoise(x0, noise, timesteps);
    const torch::Tensor velocity = noiseSchedule.velocityTarget(x0, noise, timesteps);
    EXPECT_LE(relativeError(noisy, ref.at("training/" + name + "/noisy")), 1e-6) << name;
    EXPECT_LE(relativeError(velocity, ref.at("training/" + name + "/velocity")), 1e-6) << name;
    test::reportError(name + " add_noise", test::maxAbsDiff(noisy, ref.at("training/" + name + "/noisy")));
    EXPECT_TRUE(torch::equal(noiseSchedule.trainingTarget(PredictionType::Epsilon, x0, noise, timesteps), noise));
    EXPECT_TRUE(
        torch::equal(noiseSchedule.trainingTarget(PredictionType::VPrediction, x0, noise, timesteps), velocity));
  }
}

TEST(NoiseSchedule, NamesRoundTrip) {
  for (auto v : {BetaSchedule::Linear, BetaSchedule::ScaledLinear})
    EXPECT_EQ(parseBetaSchedule(betaScheduleName(v)), v);
  for (auto v : {PredictionType::Epsilon, PredictionType::VPrediction})
    EXPECT_EQ(parsePredictionType(predictionTypeName(v)), v);
  for (auto v : {TimestepSpacing::Leading, TimestepSpacing::Linspace, TimestepSpacing::Trailing})
    EXPECT_EQ(parseTimestepSpacing(timestepSpacingName(v)), v);
  for (auto v : {SamplerKind::DDIM, SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::DPMSolverPlusPlus2M})
    EXPECT_EQ(parseSamplerName(samplerName(v)), v);
  // diffusers' spellings, which the reference script's config JSON uses.
  EXPECT_EQ(betaScheduleName(BetaSchedule::ScaledLinear), "scaled_linear");
  EXPECT_EQ(predictionTypeName(PredictionType::VPrediction), "v_prediction");
  EXPECT_EQ(samplerName(SamplerKind::EulerAncestral), "euler-a");
  EXPECT_EQ(samplerName(SamplerKind::DPMSolverPlusPlus2M), "dpmpp-2m");
}

/// Expects `fn` to throw ConfigError whose message contains `mention`.
void expectConfigError(const std::function<void()>& fn, const std::string& mention) {
  try {
    fn();
    ADD_FAILURE() << "no ConfigError (expected one mentioning '" << mention << "')";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
  }
}

TEST(NoiseSchedule, UnknownNamesThrowListingValidOnes) {
  expectConfigError([] { parseBetaSchedule("cosine"); }, "linear, scaled_linear");
  expectConfigError([] { parsePredictionType("sample"); }, "epsilon, v_prediction");
  expectConfigError([] { parseTimestepSpacing("uniform"); }, "leading, linspace, trailing");
  expectConfigError([] { parseSamplerName("dpm++"); }, "ddim, euler, euler-a, dpmpp-2m");
}

TEST(SchedulerConfig, InvalidConfigsThrowNamingTheParameter) {
  const auto withConfig = [](SamplerKind kind, const std::function<void(SchedulerConfig&)>& edit) {
    return [kind, edit] {
      SchedulerConfig config = animateDiffSchedulerConfig(kind);
      edit(config);
      makeScheduler(kind, config);
    };
  };
  for (SamplerKind kind :
       {SamplerKind::DDIM, SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::DPMSolverPlusPlus2M}) {
    SCOPED_TRACE(samplerName(kind));
    expectConfigError(withConfig(kind, [](auto& c) { c.schedule.betaEnd = c.schedule.betaStart; }), "betaEnd");
    expectConfigError(withConfig(kind, [](auto& c) { c.schedule.betaEnd = 1.0; }), "betaEnd");
    expectConfigError(withConfig(kind, [](auto& c) { c.schedule.betaStart = -0.1; }), "betaStart");
    expectConfigError(withConfig(kind, [](auto& c) { c.schedule.numTrainTimesteps = 0; }), "numTrainTimesteps");
    expectConfigError(withConfig(kind, [](auto& c) { c.eta = -0.5; }), "eta");
    expectConfigError(withConfig(kind, [](auto& c) { c.eta = NAN; }), "eta");
    expectConfigError(withConfig(kind, [](auto& c) { c.stepsOffset = -1; }), "stepsOffset");
    auto scheduler = makeScheduler(kind, animateDiffSchedulerConfig(kind));
    expectConfigError([&] { scheduler->setTimesteps(0); }, "numSteps");
    expectConfigError([&] { scheduler->setTimesteps(1001); }, "numSteps");
    EXPECT_NO_THROW(scheduler->setTimesteps(1));
  }
  expectConfigError(withConfig(SamplerKind::DDIM, [](auto& c) { c.karrasSigmas = true; }), "karrasSigmas");
  // Leading spacing with steps_offset 1 and 1000 steps would reach timestep 1000.
  auto ddim = makeScheduler(SamplerKind::DDIM, animateDiffSchedulerConfig(SamplerKind::DDIM));
  expectConfigError([&] { ddim->setTimesteps(1000); }, "stepsOffset");
}

TEST(SchedulerConfig, AnimateDiffDefaults) {
  for (SamplerKind kind :
       {SamplerKind::DDIM, SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::DPMSolverPlusPlus2M}) {
    const SchedulerConfig config = animateDiffSchedulerConfig(kind);
    EXPECT_EQ(config.schedule.betaSchedule, BetaSchedule::Linear);
    EXPECT_EQ(config.schedule.betaStart, 0.00085);
    EXPECT_EQ(config.schedule.betaEnd, 0.012);
    EXPECT_EQ(config.schedule.numTrainTimesteps, 1000);
    EXPECT_EQ(config.stepsOffset, 1);
    EXPECT_FALSE(config.clipSample);
    EXPECT_FALSE(config.karrasSigmas);
    EXPECT_EQ(config.prediction, PredictionType::Epsilon);
    EXPECT_EQ(config.spacing, kind == SamplerKind::DDIM ? TimestepSpacing::Leading : TimestepSpacing::Linspace);
    EXPECT_EQ(makeScheduler(kind, config)->kind(), kind);
  }
  EXPECT_TRUE(animateDiffSchedulerConfig(SamplerKind::DDIM).setAlphaToOne);
  // The original AnimateDiff prompts: DDIM, 25 steps → 961, 921, ..., 41, 1 (ARCHITECTURE_FACTS §8.2).
  auto ddim = makeScheduler(SamplerKind::DDIM, animateDiffSchedulerConfig(SamplerKind::DDIM));
  ddim->setTimesteps(25);
  ASSERT_EQ(ddim->timesteps().size(), 25u);
  EXPECT_EQ(ddim->timesteps().front(), 961);
  EXPECT_EQ(ddim->timesteps()[1], 921);
  EXPECT_EQ(ddim->timesteps().back(), 1);
}

/// A full run of `scheduler` on the reference inputs.
torch::Tensor runOnce(Scheduler& scheduler, int numSteps) {
  const Reference& ref = reference();
  scheduler.setTimesteps(numSteps);
  torch::Tensor latents = ref.at("inputs/noise") * scheduler.initNoiseSigma();
  for (int i = 0; i < numSteps; ++i)
    latents = scheduler.step(ref.at("inputs/model_output")[i], i, scheduler.scaleModelInput(latents, i));
  return latents;
}

TEST(SchedulerState, SetTimestepsResetsDpmSolverHistory) {
  auto dpm =
      makeScheduler(SamplerKind::DPMSolverPlusPlus2M, animateDiffSchedulerConfig(SamplerKind::DPMSolverPlusPlus2M));
  const torch::Tensor first = runOnce(*dpm, 7);
  const torch::Tensor second = runOnce(*dpm, 7);
  EXPECT_TRUE(torch::equal(first, second)) << "max diff " << test::maxAbsDiff(first, second);
  // A run of another length in between must not leak into the next one either.
  runOnce(*dpm, 3);
  EXPECT_TRUE(torch::equal(runOnce(*dpm, 7), first));
}

TEST(SchedulerState, DpmSolverStepsMustFollowEachOther) {
  auto dpm =
      makeScheduler(SamplerKind::DPMSolverPlusPlus2M, animateDiffSchedulerConfig(SamplerKind::DPMSolverPlusPlus2M));
  dpm->setTimesteps(7);
  const torch::Tensor sample = reference().at("inputs/noise");
  const torch::Tensor out = reference().at("inputs/model_output")[0];
  // The first step may start part way (img2img), the next must follow it.
  const torch::Tensor next = dpm->step(out, 2, sample);
  EXPECT_THROW(dpm->step(out, 2, next), c10::Error);
  EXPECT_NO_THROW(dpm->step(out, 3, next));
  EXPECT_THROW(dpm->step(out, 7, next), c10::Error);
}

TEST(SchedulerState, TrailingSpacingKeepsTheAskedNumberOfSteps) {
  // numpy's arange(1000, 0, -1000/61) has 62 values, the last one giving timestep -1 in diffusers.
  for (SamplerKind kind :
       {SamplerKind::DDIM, SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::DPMSolverPlusPlus2M}) {
    SchedulerConfig config = animateDiffSchedulerConfig(kind);
    config.spacing = TimestepSpacing::Trailing;
    auto scheduler = makeScheduler(kind, config);
    for (int steps : {61, 103, 497}) {
      scheduler->setTimesteps(steps);
      const auto& t = scheduler->timesteps();
      ASSERT_EQ(t.size(), static_cast<size_t>(steps)) << samplerName(kind);
      EXPECT_EQ(t.front(), 999) << samplerName(kind);
      EXPECT_GE(t.back(), 0) << samplerName(kind) << " " << steps;
      EXPECT_TRUE(std::is_sorted(t.rbegin(), t.rend())) << samplerName(kind);
      if (kind != SamplerKind::DDIM) EXPECT_EQ(scheduler->sigmas().size(), static_cast<size_t>(steps) + 1);
    }
  }
}

TEST(SchedulerNoise, CpuGeneratorDrawsLikeTorchRandn) {
  // diffusers' randn_tensor on a CPU generator: the same numbers as randn(shape, generator).
  auto a = at::make_generator<at::CPUGeneratorImpl>(1234);
  auto b = at::make_generator<at::CPUGeneratorImpl>(1234);
  const torch::Tensor got = randnTensor({2, 4, 2, 3, 3}, a, torch::kFloat32, torch::kCPU);
  const torch::Tensor want = torch::randn({2, 4, 2, 3, 3}, b);
  EXPECT_TRUE(torch::equal(got, want));
  // Euler ancestral with the same seed twice gives the same run; another seed does not.
  auto euler = makeScheduler(SamplerKind::EulerAncestral, animateDiffSchedulerConfig(SamplerKind::EulerAncestral));
  const auto run = [&](uint64_t seed) {
    euler->setTimesteps(3);
    std::optional<at::Generator> gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::Tensor x = reference().at("inputs/noise") * euler->initNoiseSigma();
    for (int i = 0; i < 3; ++i) x = euler->step(reference().at("inputs/model_output")[i], i, x, gen);
    return x;
  };
  EXPECT_TRUE(torch::equal(run(7), run(7)));
  EXPECT_FALSE(torch::equal(run(7), run(8)));
}

}  // namespace
}  // namespace sm::diffusion
