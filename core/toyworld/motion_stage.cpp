#include <torch/torch.h>

#include "core/diffusion/noise_schedule.h"
#include "core/io/safetensors.h"
#include "core/models/load_weights.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"
#include "core/training/diffusion_loss.h"

namespace sm::toyworld {
namespace {

constexpr uint64_t kSeed = 303;
constexpr int64_t kBatch = 2;
constexpr double kCaptionDropout = 0.1;
/// Videos come from their own part of the training stream (the pictures used indices from 0).
constexpr int64_t kVideoOffset = 10'000'000;

}  // namespace

void trainMotionModuleStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  models::AutoencoderKL vae = loadToyVae(folder);
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::CLIPTextModel textEncoder = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  torch::manual_seed(kSeed);
  models::UNet3D unet(toyUNetConfig(), toyMotionConfig());
  models::LoadOptions spatial;
  spatial.optional = [](const std::string& key) { return key.find("motion_modules") != std::string::npos; };
  models::loadWeights(*unet, io::readSafetensors(folder.weights("t2i").string()), spatial);
  {
    // As AnimateDiff: each motion module starts as the identity (proj_out zero),
    // so training begins from the T2I's frames.
    torch::NoGradGuard noGrad;
    for (auto& p : unet->named_parameters()) {
      const bool motion = p.key().find("motion_modules") != std::string::npos;
      p.value().set_requires_grad(motion);
      if (motion && p.key().find(".proj_out.") != std::string::npos) p.value().zero_();
    }
  }
  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  TrainingLoopSpec spec;
  spec.stage = "motion module";
  spec.checkpointPath = folder.checkpoint("motion").string();
  spec.steps = scaledSteps(2000, options);
  spec.checkpointEvery = 250;
  // Higher than the T2I's: the zero-initialised output projections must grow
  // from nothing; at 3e-4 and 1000 steps the first run's reached |w| ~ 0.008 and
  // its frames stayed nearly independent.
  spec.learningRate = 1e-3;
  spec.warmupSteps = 100;
  spec.seed = kSeed;
  spec.params = moduleParameters(*unet, "motion_modules");
  spec.loss = [&](int64_t step, at::Generator& generator) {
    VideoBatch batch = drawVideoBatch(world::kTrainSeed, kVideoOffset + step * kBatch, kBatch, kFrames);
    const torch::Tensor drop = at::rand({kBatch}, generator);
    for (int64_t i = 0; i < kBatch; ++i)
      if (drop[i].item<double>() < kCaptionDropout) batch.captions[static_cast<size_t>(i)].clear();
    const torch::Tensor latents = encodeLatents(*vae, batch.pixels);
    torch::Tensor embeddings;
    {
      torch::NoGradGuard noGrad;
      embeddings = textEncoder->forward(tokenize(tokenizer, batch.captions));
    }
    training::DiffusionLossOptions lossOptions;
    lossOptions.highNoiseWeightCap = kHighNoiseWeightCap;
    return training::diffusionLoss(unet, schedule, latents, embeddings, generator, lossOptions);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  StageRecord record;
  record.stage = "motion";
  record.steps = spec.steps;
  record.seconds = result.seconds;
  record.seed = kSeed;
  record.losses = result.losses;
  record.figures = {{"final_loss", tailMean(result.losses)}};
  saveModule(folder.weights("motion"), *unet);
  writeStageRecord(folder.record("motion"), record);
}

}  // namespace sm::toyworld
