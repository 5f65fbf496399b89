// ControlNets against diffusers (tests/reference/make_controlnet_reference.py ->
// tests/data/parity/controlnet_pipeline.safetensors): one ControlNet call's residuals
// (both namings), and whole AnimateDiffControlNetPipeline generations on the tiny
// fixtures: one ControlNet at scale 1, at 0.6 inside a 0.2-0.8 window, two ControlNets
// with their own videos and scales, and scale 0, which must be the plain video exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/diffusion/scheduler.h"
#include "core/io/safetensors.h"
#include "core/models/controlnet/controlnet_loader.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/model_cache.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"
#include "tests/pipelines/tiny_pipeline.h"
#include "tests/tensor_test_util.h"

namespace sm::pipelines {
namespace {

const std::string kParity = std::string(SM_TEST_DATA_DIR) + "/parity/controlnet_pipeline.safetensors";
const std::string kRepo = std::string(SM_TEST_DATA_DIR) + "/../../";

nlohmann::json metadata() { return nlohmann::json::parse(io::readSafetensors(kParity).metadata.at("pipeline")); }

std::map<std::string, torch::Tensor>& reference() {
  static auto tensors = test::readTensors(kParity);
  return tensors;
}

// Each test gets its own pipeline: the shared tiny one must never keep ControlNets.
AnimateDiffPipeline& controlPipeline() {
  static auto pipeline = AnimateDiffPipeline::load(test::tinySources(), {});
  return *pipeline;
}

models::ControlNetModel loadNet(const std::string& path) {
  return models::loadControlNet(path, controlPipeline().unet()->config(), torch::kCPU, torch::kFloat32);
}

// Frames saved as float 0..255 [F, 3, H, W] -> 8-bit clip, as the driving-video reader gives.
video::VideoClip clipOf(const torch::Tensor& frames) { return toVideoClip(frames / 255.0, 8.0); }

void expectClose(const std::string& what, const torch::Tensor& ours, const torch::Tensor& ref, double tolerance) {
  ASSERT_EQ(ours.sizes(), ref.sizes()) << what;
  const double err = test::maxAbsDiff(ours, ref);
  test::reportError(what, err);
  EXPECT_LE(err, tolerance) << what;
}

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
  r.decodeChunk = c.at("decode_chunk_size");
  EXPECT_EQ(c.at("scheduler_class"), "DDIMScheduler");
  r.sampler = diffusion::SamplerKind::DDIM;
  const nlohmann::json& s = c.at("scheduler_config");
  diffusion::SchedulerConfig config = diffusion::animateDiffSchedulerConfig(r.sampler);
  config.schedule.numTrainTimesteps = s.at("num_train_timesteps");
  config.schedule.betaStart = s.at("beta_start");
  config.schedule.betaEnd = s.at("beta_end");
  config.schedule.betaSchedule = diffusion::parseBetaSchedule(s.at("beta_schedule"));
  config.prediction = diffusion::parsePredictionType(s.at("prediction_type"));
  config.spacing = diffusion::parseTimestepSpacing(s.at("timestep_spacing"));
  config.stepsOffset = s.at("steps_offset");
  config.setAlphaToOne = s.at("set_alpha_to_one");
  config.clipSample = s.at("clip_sample");
  r.scheduler = config;
  for (const nlohmann::json& net : c.at("controlnets"))
    r.control.push_back({clipOf(reference().at(net.at("frames"))), net.at("scale"), net.at("start"), net.at("end")});
  r.context.length = 0;
  return r;
}

std::vector<models::ControlNetModel> netsOf(const nlohmann::json& c) {
  std::vector<models::ControlNetModel> nets;
  for (const nlohmann::json& net : c.at("controlnets"))
    nets.push_back(loadNet(kRepo + net.at("path").get<std::string>()));
  return nets;
}

struct ControlNetsCleared {
  ~ControlNetsCleared() { controlPipeline().setControlNets({}); }
};

TEST(ControlNetParity, ResidualsMatchDiffusersInBothNamings) {
  const nlohmann::json meta = metadata().at("residuals");
  auto& ref = reference();
  const double scale = meta.at("conditioning_scale");
  for (const std::string file :
       {"controlnet_tiny_diffusers", "controlnet_tiny_original.safetensors", "controlnet_tiny_original.pth"}) {
    SCOPED_TRACE(file);
    models::ControlNetModel net = loadNet(test::fixture(file));
    c10::InferenceMode inference;
    const torch::Tensor embedded = net->embedCondition(ref.at("residuals.controlnet_cond"));
    const models::ControlNetResiduals r = net->forward(ref.at("residuals.sample"), ref.at("residuals.timestep"),
                                                       ref.at("residuals.encoder_hidden_states"), embedded, scale);
    ASSERT_EQ(r.down.size(), 12u);
    for (size_t k = 0; k < r.down.size(); ++k)
      expectClose(file + " down residual " + std::to_string(k), r.down[k],
                  ref.at("residuals.down." + std::to_string(k)), 1e-4);
    expectClose(file + " mid residual", r.mid, ref.at("residuals.mid"), 1e-4);
  }
}

TEST(ControlNetParity, EveryCaseMatchesDiffusersAnimateDiffControlNetPipeline) {
  const nlohmann::json meta = metadata();
  auto& ref = reference();
  auto& pipe = controlPipeline();
  ControlNetsCleared cleared;
  ASSERT_GE(meta.at("cases").size(), 4u);
  for (const nlohmann::json& c : meta.at("cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    auto at = [&](const std::string& key) { return ref.at(name + "." + key); };
    const GenerationRequest request = requestOf(c);
    pipe.setControlNets(netsOf(c));
    c10::InferenceMode inference;

    const torch::Tensor embeddings = pipe.promptEmbeddings(request);
    expectClose(name + " prompt embeddings", embeddings,
                torch::cat({at("negative_prompt_embeds"), at("prompt_embeds")}), 1e-5);
    auto scheduler = diffusion::makeScheduler(request.sampler, request.schedulerConfig());
    scheduler->setTimesteps(request.steps);
    const std::vector<ActiveControl> embedded = pipe.embedControl(request);

    // The scales diffusers gave each ControlNet at each step: ours act exactly where they are not 0.
    const torch::Tensor scales = at("cond_scales");
    for (int i = 0; i < request.steps; ++i) {
      const std::vector<ActiveControl> active = pipe.controlAtStep(embedded, request, i, request.steps);
      int acting = 0;
      for (int64_t k = 0; k < scales.size(1); ++k) acting += scales[i][k].item<double>() != 0.0 ? 1 : 0;
      EXPECT_EQ(static_cast<int>(active.size()), acting) << "step " << i;
    }
    // Each step from diffusers' own latents, so an error shows where it starts.
    for (int i = 0; i < request.steps; ++i) {
      const std::string step = std::to_string(i);
      const torch::Tensor input = i == 0 ? at("initial_latents") : at("latents." + std::to_string(i - 1));
      const torch::Tensor noise =
          pipe.predictNoise(scheduler->scaleModelInput(input, i), scheduler->timesteps()[i], embeddings, request,
                            jobs::silentJob(), pipe.controlAtStep(embedded, request, i, request.steps));
      expectClose(name + " noise prediction " + step, noise, at("noise_pred." + step), 1e-4);
    }
    // The whole generation, seeded noise included; frames within 2 of 255 levels.
    const GenerationResult result = pipe.generate(request);
    expectClose(name + " final latents", result.latents, at("final_latents"), 1e-3);
    const auto frames = c.at("video_frames").get<std::vector<int64_t>>();
    const torch::Tensor picked = result.video.index_select(1, torch::tensor(frames, torch::kInt64));
    expectClose(name + " decoded video", picked, at("video"), 1e-3);
    const video::VideoClip ours = toVideoClip(picked[0], 8), theirs = toVideoClip(at("video")[0], 8);
    int worst = 0;
    for (size_t f = 0; f < ours.frames.size(); ++f)
      for (size_t p = 0; p < ours.frames[f].rgb.size(); ++p)
        worst = std::max(worst, std::abs(int{ours.frames[f].rgb[p]} - int{theirs.frames[f].rgb[p]}));
    EXPECT_LE(worst, 2) << name << ": 8-bit frames differ by " << worst << " levels";
  }
}

TEST(ControlNetParity, ScaleZeroIsExactlyTheVideoWithoutControlNet) {
  const nlohmann::json meta = metadata();
  auto& pipe = controlPipeline();
  ControlNetsCleared cleared;
  for (const nlohmann::json& c : meta.at("cases")) {
    if (c.at("name") != "scale_zero") continue;
    GenerationRequest request = requestOf(c);
    pipe.setControlNets(netsOf(c));
    const torch::Tensor controlled = pipe.denoise(request);
    pipe.setControlNets({});
    request.control.clear();
    EXPECT_TRUE(torch::equal(controlled, pipe.denoise(request)));
    return;
  }
  FAIL() << "no scale_zero case";
}

TEST(ControlNetParity, TheOriginalNamingSingleFileGivesTheDiffusersFoldersVideo) {
  const nlohmann::json meta = metadata();
  auto& pipe = controlPipeline();
  ControlNetsCleared cleared;
  const nlohmann::json& single = meta.at("cases").at(0);
  ASSERT_EQ(single.at("name"), "single");
  GenerationRequest request = requestOf(single);
  request.steps = 2;
  pipe.setControlNets({loadNet(test::fixture("controlnet_tiny_diffusers"))});
  const torch::Tensor folder = pipe.denoise(request);
  pipe.setControlNets({loadNet(test::fixture("controlnet_tiny_original.safetensors"))});
  const torch::Tensor file = pipe.denoise(request);
  expectClose("original naming vs diffusers folder", file, folder, 1e-6);
  // And the ControlNet does something: without it the video differs.
  pipe.setControlNets({});
  request.control.clear();
  EXPECT_GT(test::maxAbsDiff(pipe.denoise(request), folder), 1e-3);
}

// Long videos: each context window gets its own frames of the condition. With
// windows that do not overlap, the prediction for each window equals a
// generation of just those frames with just those condition frames.
TEST(ControlNetParity, EachContextWindowGetsItsFramesOfTheCondition) {
  const nlohmann::json meta = metadata();
  auto& pipe = controlPipeline();
  ControlNetsCleared cleared;
  GenerationRequest request = requestOf(meta.at("cases").at(0));
  request.context.length = 4;
  request.context.overlap = 0;
  request.context.fuse = ContextFuse::Flat;
  pipe.setControlNets({loadNet(test::fixture("controlnet_tiny_diffusers"))});
  c10::InferenceMode inference;
  const torch::Tensor latents = reference().at("single.initial_latents");
  const torch::Tensor embeddings = pipe.promptEmbeddings(request);
  const auto embedded = pipe.embedControl(request);
  const torch::Tensor whole = pipe.predictNoise(latents, 500, embeddings, request, jobs::silentJob(), embedded);
  for (int begin : {0, 4}) {
    GenerationRequest part = request;
    part.frames = 4;
    part.context.length = 0;
    part.control[0].condition.frames.assign(request.control[0].condition.frames.begin() + begin,
                                            request.control[0].condition.frames.begin() + begin + 4);
    const torch::Tensor own = pipe.predictNoise(latents.slice(2, begin, begin + 4), 500, embeddings, part,
                                                jobs::silentJob(), pipe.embedControl(part));
    expectClose("window at frame " + std::to_string(begin), whole.slice(2, begin, begin + 4), own, 1e-5);
  }
}

}  // namespace
}  // namespace sm::pipelines

namespace sm::pipelines {
namespace {

// The worker's cache: ControlNets load on their own (the base stays), a second
// request with the same ones reloads nothing, and one that does not fit the base
// is refused without dropping the loaded base.
TEST(ControlNetCache, ControlNetsLoadOnTheirOwnAndAMisfitKeepsTheBase) {
  ModelCache cache("cpu");
  ModelSet set = test::tinySources();
  cache.pipeline(set, "fp32", jobs::silentJob());
  set.controlNets = {test::fixture("controlnet_tiny_diffusers")};
  EXPECT_EQ(cache.pipeline(set, "fp32", jobs::silentJob()).controlNets().size(), 1u);
  cache.pipeline(set, "fp32", jobs::silentJob());
  EXPECT_EQ(cache.counters().baseLoads, 1);
  EXPECT_EQ(cache.counters().controlNetLoads, 1);

  set.controlNets = {std::string(SM_SOURCE_DIR) + "/resources/toyworld/controlnet_canny"};  // 64-wide blocks
  try {
    cache.pipeline(set, "fp32", jobs::silentJob());
    FAIL() << "a ControlNet of another base was loaded";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("conv_in.weight"), std::string::npos) << e.what();
  }
  set.controlNets.clear();
  EXPECT_TRUE(cache.pipeline(set, "fp32", jobs::silentJob()).controlNets().empty());
  EXPECT_EQ(cache.counters().baseLoads, 1);
}

}  // namespace
}  // namespace sm::pipelines
