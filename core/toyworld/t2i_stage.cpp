#include <torch/torch.h>

#include <filesystem>

#include "core/diffusion/noise_schedule.h"
#include "core/models/clip/clip_text_model.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/text/clip_tokenizer.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"
#include "core/training/diffusion_loss.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

constexpr uint64_t kSeed = 202;
constexpr int64_t kBatch = 32;
/// Captions dropped to "" this often, so classifier-free guidance has an unconditional model.
constexpr double kCaptionDropout = 0.1;

}  // namespace

void trainTextToImageStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  models::AutoencoderKL vae = loadToyVae(folder);
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  torch::manual_seed(kSeed);
  models::CLIPTextModel textEncoder(toyTextConfig(static_cast<int>(tokenizer.vocabSize())));
  models::UNet3D unet(toyUNetConfig());
  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  TrainingLoopSpec spec;
  spec.stage = "T2I";
  spec.checkpointPath = folder.checkpoint("t2i").string();
  spec.steps = scaledSteps(2500, options);
  spec.checkpointEvery = 250;
  spec.learningRate = 3e-4;
  spec.warmupSteps = 200;
  spec.seed = kSeed;
  for (auto& p : moduleParameters(*textEncoder)) spec.params.emplace_back("text_encoder." + p.first, p.second);
  for (auto& p : moduleParameters(*unet)) spec.params.emplace_back("unet." + p.first, p.second);
  spec.loss = [&](int64_t step, at::Generator& generator) {
    PictureBatch batch = drawPictureBatch(world::kTrainSeed, step * kBatch, kBatch);
    const torch::Tensor drop = at::rand({kBatch}, generator);
    for (int64_t i = 0; i < kBatch; ++i)
      if (drop[i].item<double>() < kCaptionDropout) batch.captions[static_cast<size_t>(i)].clear();
    const torch::Tensor latents = encodeLatents(*vae, batch.pixels);
    const torch::Tensor embeddings = textEncoder->forward(tokenize(tokenizer, batch.captions));
    return training::diffusionLoss(unet, schedule, latents, embeddings, generator);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  StageRecord record;
  record.stage = "t2i";
  record.steps = spec.steps;
  record.seconds = result.seconds;
  record.seed = kSeed;
  record.losses = result.losses;
  record.figures = {{"final_loss", tailMean(result.losses)}};
  saveModule(folder.weights("text_encoder"), *textEncoder);
  saveModule(folder.weights("t2i"), *unet);
  writeStageRecord(folder.record("t2i"), record);
}

}  // namespace sm::toyworld
