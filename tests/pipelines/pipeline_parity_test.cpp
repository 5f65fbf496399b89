// Whole generations on the tiny fixtures against diffusers' AnimateDiffPipeline
// (tests/reference/make_pipeline_reference.py -> tests/data/parity/pipeline.safetensors):
// prompt embeddings, initial noise from the seed, every step's guided noise, the
// final latents (within 1e-3 of the initial noise's scale) and the decoded frames.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/diffusion/scheduler.h"
#include "core/io/safetensors.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "tests/pipelines/tiny_pipeline.h"
#include "tests/tensor_test_util.h"

namespace sm::pipelines {
namespace {

const std::string kParity = std::string(SM_TEST_DATA_DIR) + "/parity/pipeline.safetensors";

nlohmann::json metadata() {
  const io::StateDictIndex file = io::readSafetensors(kParity);
  return nlohmann::json::parse(file.metadata.at("pipeline"));
}

diffusion::SamplerKind samplerOf(const std::string& className) {
  if (className == "DDIMScheduler") return diffusion::SamplerKind::DDIM;
  if (className == "EulerDiscreteScheduler") return diffusion::SamplerKind::Euler;
  if (className == "EulerAncestralDiscreteScheduler") return diffusion::SamplerKind::EulerAncestral;
  if (className == "DPMSolverMultistepScheduler") return diffusion::SamplerKind::DPMSolverPlusPlus2M;
  throw std::runtime_error("no sampler for " + className);
}

// The request diffusers ran, from the case's recorded settings.
GenerationRequest requestOf(const nlohmann::json& c) {
  GenerationRequest r;
  r.prompt = c.at("prompt");
  r.negativePrompt = c.at("negative_prompt").is_null() ? "" : c.at("negative_prompt").get<std::string>();
  r.seed = c.at("seed");
  r.steps = c.at("num_inference_steps");
  r.guidance = c.at("guidance_scale");
  r.frames = c.at("num_frames");
  r.width = c.at("width");
  r.height = c.at("height");
  r.numVideos = c.at("num_videos_per_prompt");
  r.clipSkip = c.at("clip_skip").is_null() ? 0 : c.at("clip_skip").get<int>();
  r.decodeChunk = c.at("decode_chunk_size");
  r.sampler = samplerOf(c.at("scheduler_class"));

  const nlohmann::json& s = c.at("scheduler_config");
  diffusion::SchedulerConfig config = diffusion::animateDiffSchedulerConfig(r.sampler);
  config.schedule.numTrainTimesteps = s.at("num_train_timesteps");
  config.schedule.betaStart = s.at("beta_start");
  config.schedule.betaEnd = s.at("beta_end");
  config.schedule.betaSchedule = diffusion::parseBetaSchedule(s.at("beta_schedule"));
  config.prediction = diffusion::parsePredictionType(s.at("prediction_type"));
  config.spacing = diffusion::parseTimestepSpacing(s.at("timestep_spacing"));
  config.stepsOffset = s.at("steps_offset");
  config.setAlphaToOne = s.value("set_alpha_to_one", config.setAlphaToOne);
  config.clipSample = s.value("clip_sample", false);
  config.karrasSigmas = s.value("use_karras_sigmas", false);
  config.eta = c.at("eta");
  r.scheduler = config;
  return r;
}

void expectClose(const std::string& what, const torch::Tensor& ours, const torch::Tensor& ref, double tolerance) {
  ASSERT_EQ(ours.sizes(), ref.sizes()) << what;
  const double err = test::maxAbsDiff(ours, ref);
  test::reportError(what, err);
  EXPECT_LE(err, tolerance) << what;
}

TEST(PipelineParity, LibTorchSeedsDrawWhatPythonTorchDraws) {
  const nlohmann::json check = metadata().at("seed_check");
  auto ref = test::readTensors(kParity);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(check.at("seed").get<uint64_t>());
  const torch::Tensor ours = torch::randn(check.at("shape").get<std::vector<int64_t>>(), generator);
  EXPECT_TRUE(torch::equal(ours, ref.at("seed_check")));
}

TEST(PipelineParity, EveryCaseMatchesDiffusersAnimateDiffPipeline) {
  const nlohmann::json meta = metadata();
  auto ref = test::readTensors(kParity);
  auto& pipe = test::tinyPipeline();
  ASSERT_GE(meta.at("cases").size(), 4u);
  for (const nlohmann::json& c : meta.at("cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    auto at = [&](const std::string& key) { return ref.at(name + "." + key); };
    const GenerationRequest request = requestOf(c);
    c10::InferenceMode inference;

    // Text: what the UNet is conditioned on, in diffusers' batch order.
    const torch::Tensor embeddings = pipe.promptEmbeddings(request);
    const torch::Tensor refEmbeddings =
        request.usesGuidance() ? torch::cat({at("negative_prompt_embeds"), at("prompt_embeds")}) : at("prompt_embeds");
    expectClose(name + " prompt embeddings", embeddings, refEmbeddings, 1e-5);

    // The sampler's schedule and the initial noise from the seed.
    auto scheduler = diffusion::makeScheduler(request.sampler, request.schedulerConfig());
    scheduler->setTimesteps(request.steps);
    const torch::Tensor timesteps = torch::tensor(scheduler->timesteps(), torch::kFloat64);
    expectClose(name + " timesteps", timesteps, at("timesteps").to(torch::kFloat64), 1e-4);
    EXPECT_NEAR(scheduler->initNoiseSigma(), c.at("init_noise_sigma").get<double>(), 1e-4);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(request.seed);
    torch::Tensor latents = pipe.initialLatents(request, generator, scheduler->initNoiseSigma());
    expectClose(name + " initial latents", latents, at("initial_latents"), 1e-5);

    // Each step from diffusers' own latents, so an error shows where it starts.
    for (int i = 0; i < request.steps; ++i) {
      const std::string step = std::to_string(i);
      const torch::Tensor input = i == 0 ? at("initial_latents") : at("latents." + std::to_string(i - 1));
      const torch::Tensor noise = pipe.predictNoise(scheduler->scaleModelInput(input, i), scheduler->timesteps()[i],
                                                    refEmbeddings, request, jobs::silentJob());
      expectClose(name + " noise prediction " + step, noise, at("noise_pred." + step), 1e-4);
    }

    // The whole generation, ours from end to end (seeded noise included).
    // Measured in units of the initial noise: Euler's latents start at sigma_max ~ 25 and
    // the random tiny UNet lets them grow to ~200, where fp32 rounding alone is ~1e-4.
    const GenerationResult result = pipe.generate(request);
    const double sigma = scheduler->initNoiseSigma();
    expectClose(name + " final latents / init sigma", result.latents / sigma, at("final_latents") / sigma, 1e-3);
    const auto frames = c.at("video_frames").get<std::vector<int64_t>>();
    const torch::Tensor picked = result.video.index_select(1, torch::tensor(frames, torch::kInt64));
    expectClose(name + " decoded video", picked, at("video"), 1e-3);
  }
}

}  // namespace
}  // namespace sm::pipelines
