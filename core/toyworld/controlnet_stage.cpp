#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/control/preprocessors.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/tensor_writer.h"
#include "core/io/json_file.h"
#include "core/models/controlnet/controlnet_model.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/video_tensor.h"
#include "core/toyworld/report.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"
#include "core/util/atomic_file.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

constexpr uint64_t kSeed = 808;
// Pictures of their own, apart from the T2I's (world::kTrainSeed) and the evaluator's.
constexpr uint64_t kPictureSeed = 8080;
constexpr int64_t kBatch = 16;
// ControlNet's recipe drops half the prompts so that the condition alone must carry the
// structure; a third keeps the prompt's colour useful on this small model.
constexpr double kCaptionDropout = 0.3;
constexpr int64_t kHeldOut = 32;

// Pictures [B, 3, H, W] in [-1, 1] -> their canny edges [B, 3, H, W] in [0, 1], as a
// driving video's frames become condition frames (the same preprocessor, the same 8 bits).
torch::Tensor cannyOf(const torch::Tensor& pixels) {
  const video::VideoClip clip = pipelines::toVideoClip((pixels.detach() + 1) / 2, 8.0);
  return pipelines::fromVideoClip(control::preprocessClip(clip, control::Preprocessor{}));
}

struct Frozen {
  std::unique_ptr<pipelines::AnimateDiffPipeline> pipeline;
  models::UNet3D unet{nullptr};
  models::CLIPTextModel text{nullptr};
  models::AutoencoderKL vae{nullptr};
};

}  // namespace

void trainControlNetStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  const ToyModelFiles files{folder.root() / "models"};
  pipelines::ModelSet set;
  set.base = files.base().string();
  Frozen f;
  f.pipeline = pipelines::AnimateDiffPipeline::load(set, {});
  f.unet = f.pipeline->unet();
  f.text = f.pipeline->textEncoder();
  f.vae = f.pipeline->vae();
  for (torch::nn::Module* m :
       {static_cast<torch::nn::Module*>(f.unet.get()), static_cast<torch::nn::Module*>(f.text.get()),
        static_cast<torch::nn::Module*>(f.vae.get())})
    freeze(*m);

  models::ControlNetConfig config;
  config.unet = f.unet->config();
  // One level per halving: the control picture is pixelsPerLatent times the latents.
  config.conditioning_embedding_out_channels = {16};
  for (int factor = 1; factor < f.vae->config().pixelsPerLatent(); factor *= 2)
    config.conditioning_embedding_out_channels.push_back(std::min(64, 32 * factor));
  torch::manual_seed(kSeed);
  models::ControlNetModel net(config);
  models::initializeFromUNet(*net, *f.unet);
  net->train();

  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  const text::CLIPTokenizer& tokenizer = f.pipeline->tokenizer();
  // The denoising loss of one batch, with the ControlNet's residuals or without.
  auto lossOf = [&](const PictureBatch& batch, at::Generator& generator, bool control) {
    const torch::Tensor latents = encodeLatents(*f.vae, batch.pixels);
    torch::Tensor embeddings;
    {
      torch::NoGradGuard noGrad;
      embeddings = f.text->forward(tokenize(tokenizer, batch.captions));
    }
    const torch::Tensor noise = at::randn(latents.sizes(), generator);
    const torch::Tensor t = at::randint(0, schedule.config().numTrainTimesteps, {latents.size(0)}, generator);
    const torch::Tensor noisy = schedule.addNoise(latents, noise, t);
    if (!control) return torch::mse_loss(f.unet->forward(noisy, t, embeddings), noise);
    const models::ControlNetResiduals residuals =
        net->forward(noisy, t, embeddings, net->embedCondition(cannyOf(batch.pixels)), 1.0);
    return torch::mse_loss(f.unet->forward(noisy, t, embeddings, &residuals), noise);
  };

  TrainingLoopSpec spec;
  spec.stage = "ControlNet";
  spec.checkpointPath = folder.checkpoint("controlnet").string();
  spec.steps = scaledSteps(1500, options);
  spec.checkpointEvery = 250;
  spec.learningRate = 2e-4;
  spec.warmupSteps = 100;
  spec.seed = kSeed;
  for (auto& p : moduleParameters(*net)) spec.params.emplace_back(p.first, p.second);
  spec.loss = [&](int64_t step, at::Generator& generator) {
    PictureBatch batch = drawPictureBatch(kPictureSeed, kHeldOut + step * kBatch, kBatch);
    const torch::Tensor drop = at::rand({kBatch}, generator);
    for (int64_t i = 0; i < kBatch; ++i)
      if (drop[i].item<double>() < kCaptionDropout) batch.captions[static_cast<size_t>(i)].clear();
    return lossOf(batch, generator, true);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  net->eval();

  // What the edges are worth: the denoising loss on held-out pictures with and
  // without the ControlNet, the same noise and timesteps for both.
  double with = 0, without = 0;
  {
    torch::NoGradGuard noGrad;
    const PictureBatch held = drawPictureBatch(kPictureSeed, 0, kHeldOut);
    for (int repeat = 0; repeat < 4; ++repeat) {
      at::Generator a = at::make_generator<at::CPUGeneratorImpl>(kSeed + repeat);
      at::Generator b = at::make_generator<at::CPUGeneratorImpl>(kSeed + repeat);
      with += lossOf(held, a, true).item<double>() / 4;
      without += lossOf(held, b, false).item<double>() / 4;
    }
  }
  job.info("ControlNet: held-out denoising loss " + std::to_string(with) + " with the edges, " +
           std::to_string(without) + " without");

  // Shipped as a diffusers ControlNetModel folder in fp16 (half the bytes; the loader converts).
  const std::filesystem::path out = files.controlNet();
  std::filesystem::create_directories(out);
  engine::NamedTensors half;
  for (const auto& p : net->named_parameters()) half.emplace_back(p.key(), p.value().detach().to(torch::kFloat16));
  engine::writeTensors((out / "diffusion_pytorch_model.safetensors").string(), half);
  util::writeFileAtomically((out / "config.json").string(), io::dumpJson(config.toJson(), 2) + "\n");
  saveModule(folder.weights("controlnet"), *net);

  StageRecord record;
  record.stage = "controlnet";
  record.steps = spec.steps;
  record.seconds = result.seconds;
  record.seed = kSeed;
  record.losses = result.losses;
  record.figures = {
      {"final_loss", tailMean(result.losses)}, {"held_out_loss_with_edges", with}, {"held_out_loss_without", without}};
  writeStageRecord(folder.record("controlnet"), record);
  char figures[256];
  std::snprintf(figures, sizeof figures,
                "- held-out denoising loss (%lld world pictures, 4 noise draws each): %.4f with their canny edges, "
                "%.4f without (the same noise and timesteps)\n",
                static_cast<long long>(kHeldOut), with, without);
  writeCard(files.root / "cards", "controlnet_canny",
            "A canny ControlNet for the base T2I (diffusers ControlNetModel; the base UNet's encoder, conditioning "
            "embedding widths 16, 32, 64 for the VAE's 4 pixels per latent), initialised from the T2I UNet (zero "
            "convs at zero) and trained on world pictures (seed 8080) and their canny edges (thresholds 100/200), "
            "30% of captions dropped, with the UNet, text encoder and VAE frozen.",
            record, figures);
}

}  // namespace sm::toyworld
