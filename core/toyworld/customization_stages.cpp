// The two customized T2Is, made DreamBooth-style from five reference pictures
// each: a new object ("a sks toy", a striped heart the base never saw) as a
// full UNet fine-tune, and a style ("in sks style": striped fill, dark outline)
// as a LoRA in kohya naming. Both keep the base's knowledge with prior
// preservation: half of every batch is ordinary world pictures.
#include <torch/torch.h>

#include <memory>

#include "core/adapters/low_rank_layer.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/tensor_writer.h"
#include "core/nn/adaptable_layers.h"
#include "core/toyworld/customizations.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"
#include "core/training/diffusion_loss.h"

namespace sm::toyworld {
namespace {

constexpr int64_t kHalfBatch = 4;
constexpr uint64_t kReferenceSeed = 77;
/// Prior pictures come from a part of the training stream the T2I never reached.
constexpr int64_t kPriorOffset = 20'000'000;

PictureBatch referenceBatch(const std::vector<world::Scene>& scenes, int64_t step) {
  PictureBatch batch;
  std::vector<torch::Tensor> pixels;
  for (int64_t i = 0; i < kHalfBatch; ++i) {
    const size_t which = static_cast<size_t>((step * kHalfBatch + i) % static_cast<int64_t>(scenes.size()));
    pixels.push_back(
        frameToTensor(world::drawImage(scenes[which], pictureTime(static_cast<int64_t>(which)), kImageSize)));
    batch.captions.push_back(world::caption(scenes[which], false));
  }
  batch.pixels = torch::stack(pixels);
  return batch;
}

/// Reference batch + prior batch -> the diffusion loss of the UNet.
torch::Tensor customizationLoss(const CustomizationKind kind, int64_t step, at::Generator& generator,
                                models::AutoencoderKLImpl& vae, models::CLIPTextModelImpl& text,
                                const text::CLIPTokenizer& tokenizer, models::UNet3D& unet,
                                const diffusion::NoiseSchedule& schedule) {
  const PictureBatch refs = referenceBatch(referenceScenes(kind), step);
  const PictureBatch prior = drawPictureBatch(world::kTrainSeed, kPriorOffset + step * kHalfBatch, kHalfBatch);
  std::vector<std::string> captions = refs.captions;
  captions.insert(captions.end(), prior.captions.begin(), prior.captions.end());
  const torch::Tensor latents = encodeLatents(vae, torch::cat({refs.pixels, prior.pixels}));
  torch::Tensor embeddings;
  {
    torch::NoGradGuard noGrad;
    embeddings = text.forward(tokenize(tokenizer, captions));
  }
  return training::diffusionLoss(unet, schedule, latents, embeddings, generator);
}

}  // namespace

std::vector<world::Scene> referenceScenes(CustomizationKind kind) {
  world::SceneFilter filter;
  if (kind == CustomizationKind::Object) filter.shapes = {world::Shape::Toy};
  if (kind == CustomizationKind::Style) filter.rendering = world::Rendering::Outlined;
  std::vector<world::Scene> scenes;
  for (uint64_t i = 0; i < kReferenceCount; ++i) scenes.push_back(world::sampleScene(kReferenceSeed, i, filter));
  return scenes;
}

std::vector<video::Frame> referencePictures(CustomizationKind kind) {
  std::vector<video::Frame> out;
  const auto scenes = referenceScenes(kind);
  for (size_t i = 0; i < scenes.size(); ++i)
    out.push_back(world::drawImage(scenes[i], pictureTime(static_cast<int64_t>(i)), kImageSize));
  return out;
}

std::vector<std::string> styleLayerPaths(models::UNet3DImpl& unet) {
  std::vector<std::string> out;
  for (const auto& item : unet.named_modules("", false)) {
    const std::string& path = item.key();
    if (path.find("motion_modules") != std::string::npos || path.find(".transformer_blocks.") == std::string::npos)
      continue;
    for (const char* leaf : {".to_q", ".to_k", ".to_v", ".to_out.0"}) {
      const std::string l(leaf);
      if (path.size() > l.size() && path.compare(path.size() - l.size(), l.size(), l) == 0) out.push_back(path);
    }
  }
  return out;
}

void trainObjectStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  models::AutoencoderKL vae = loadToyVae(folder);
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::CLIPTextModel textEncoder = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  models::UNet3D unet = loadToyUNet(folder, "t2i", false);
  unet->train();
  for (auto& p : unet->parameters()) p.set_requires_grad(true);
  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  TrainingLoopSpec spec;
  spec.stage = "object (DreamBooth)";
  spec.checkpointPath = folder.checkpoint("object").string();
  spec.steps = scaledSteps(200, options);
  spec.checkpointEvery = 100;
  spec.learningRate = 1e-4;
  spec.warmupSteps = 20;
  spec.seed = 505;
  spec.params = moduleParameters(*unet);
  spec.loss = [&](int64_t step, at::Generator& generator) {
    return customizationLoss(CustomizationKind::Object, step, generator, *vae, *textEncoder, tokenizer, unet, schedule);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  StageRecord record{"object",  spec.steps,    result.seconds,
                     spec.seed, result.losses, {{"final_loss", tailMean(result.losses)}}};
  saveModule(folder.weights("object"), *unet);
  writeStageRecord(folder.record("object"), record);
}

void trainStyleStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  models::AutoencoderKL vae = loadToyVae(folder);
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::CLIPTextModel textEncoder = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  models::UNet3D unet = loadToyUNet(folder, "t2i", false);
  torch::manual_seed(606);
  auto scale = std::make_shared<const double>(1.0);
  engine::NamedTensors params;
  std::vector<std::pair<std::string, std::shared_ptr<adapters::LowRankLayer>>> layers;
  for (const std::string& path : styleLayerPaths(*unet)) {
    auto linear = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(unet->named_modules("", false)[path]);
    const int64_t in = linear->weight.size(1), out = linear->weight.size(0);
    torch::Tensor down = (torch::randn({kStyleRank, in}) / std::sqrt(static_cast<double>(in))).requires_grad_(true);
    torch::Tensor up = torch::zeros({out, kStyleRank}).requires_grad_(true);
    auto layer = std::make_shared<adapters::LowRankLayer>(down, up, adapters::LowRankSide::Input, scale);
    linear->adapters.add(layer);
    params.emplace_back(path + ".lora_down", layer->down());
    params.emplace_back(path + ".lora_up", layer->up());
    layers.emplace_back(path, layer);
  }
  const diffusion::NoiseSchedule schedule{diffusion::NoiseScheduleConfig{}};
  TrainingLoopSpec spec;
  spec.stage = "style (LoRA)";
  spec.checkpointPath = folder.checkpoint("style").string();
  spec.steps = scaledSteps(200, options);
  spec.checkpointEvery = 100;
  spec.learningRate = 1e-3;
  spec.warmupSteps = 20;
  spec.weightDecay = 0.0;
  spec.seed = 606;
  spec.params = params;
  spec.loss = [&](int64_t step, at::Generator& generator) {
    return customizationLoss(CustomizationKind::Style, step, generator, *vae, *textEncoder, tokenizer, unet, schedule);
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);
  // kohya naming: "lora_unet_" + the diffusers module path with dots as underscores; alpha = rank (scale 1).
  engine::NamedTensors kohya;
  for (const auto& [path, layer] : layers) {
    std::string name = "lora_unet_" + path;
    std::replace(name.begin(), name.end(), '.', '_');
    kohya.emplace_back(name + ".lora_down.weight", layer->down().detach().clone());
    kohya.emplace_back(name + ".lora_up.weight", layer->up().detach().clone());
    kohya.emplace_back(name + ".alpha", torch::tensor(static_cast<float>(kStyleRank)));
  }
  std::filesystem::create_directories(folder.weights("style").parent_path());
  engine::writeTensors(folder.weights("style").string(), kohya,
                       {{"ss_network_module", "networks.lora"},
                        {"ss_network_dim", std::to_string(kStyleRank)},
                        {"ss_network_alpha", std::to_string(kStyleRank)}});
  StageRecord record{"style",   spec.steps,    result.seconds,
                     spec.seed, result.losses, {{"final_loss", tailMean(result.losses)}}};
  writeStageRecord(folder.record("style"), record);
}

}  // namespace sm::toyworld
