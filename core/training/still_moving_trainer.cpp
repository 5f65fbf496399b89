// The Still-Moving training runs (paper §3): the Motion Adapter on frozen
// videos of the base T2V, then the Spatial Adapters through the whole video
// model on frozen customized videos (a = 1) and natural videos (a = 0).
#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/adapters/weight_blend.h"
#include "core/datasets/latent_video_dataset.h"
#include "core/engine/tensor_writer.h"
#include "core/io/json_file.h"
#include "core/settings/setting_checks.h"
#include "core/training/training_checkpoint.h"
#include "core/training/training_requests.h"
#include "core/training/training_run.h"
#include "core/training/training_settings.h"
#include "core/util/error.h"
#include "core/util/writable.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sm::training {
namespace {

// Ranges come from the settings table (the same for both trainings; checked
// as motion-adapter's); the rest are the runs' structural needs.
void validateCommon(const TrainingSettings& s) {
  using settings::requireInRange;
  constexpr auto kTrain = settings::Command::TrainMotionAdapter;
  if (s.model.base.empty()) throw ConfigError("training needs a base model");
  if (s.model.motionModule.empty()) throw ConfigError("training needs an AnimateDiff motion module");
  if (s.output.empty()) throw ConfigError("training needs an output file");
  requireAdapterOutput(s.output);
  util::requireWritableFolder(checkpointDirOf(s));
  requireInRange(kTrain, "steps", s.steps);
  requireInRange(kTrain, "batch", s.batchSize);
  requireInRange(kTrain, "accumulate", s.gradientAccumulation);
  requireInRange(kTrain, "lr", s.learningRate);
  requireInRange(kTrain, "warmup", s.warmupSteps);
  requireInRange(kTrain, "weight-decay", s.weightDecay);
  requireInRange(kTrain, "high-noise-weight", s.highNoiseWeightCap);
  requireInRange(kTrain, "rank", s.rank);
  requireInRange(kTrain, "checkpoint-every", s.checkpointEvery);
  requireInRange(kTrain, "frames", s.frames);
  settings::requireChoice(kTrain, "precision", s.precision);
  if (s.resume && s.overwrite)
    throw ConfigError("resume and overwrite exclude each other: continue the earlier run, or replace it");
  const std::string earlier = earlierRunFiles(s);
  if (!s.resume && !s.overwrite && !earlier.empty())
    throw ConfigError("an earlier training run left " + earlier +
                      ": continue it with --resume, or start afresh with --overwrite (which replaces them)");
}

void requireKind(const datasets::LatentVideoDataset& dataset, datasets::DatasetKind kind, const std::string& use) {
  if (dataset.kind() != kind)
    throw ConfigError(dataset.folder() + " is a " +
                      (dataset.kind() == datasets::DatasetKind::Frozen ? "frozen-video" : "prior-video") +
                      " dataset; " + use + " needs a " +
                      (kind == datasets::DatasetKind::Frozen ? "frozen-video (stillmoving dataset frozen)"
                                                             : "prior-video (stillmoving dataset prior)") +
                      " one");
}

int framesFor(const TrainingSettings& s, const datasets::LatentVideoDataset& dataset, const models::UNet3D& unet) {
  const int frames = s.frames > 0 ? s.frames : dataset.frames();
  if (unet->maxFrames() > 0 && frames > unet->maxFrames())
    throw ConfigError("training videos of " + std::to_string(frames) + " frames exceed the motion module's " +
                      std::to_string(unet->maxFrames()) + ": use --frames " + std::to_string(unet->maxFrames()));
  return frames;
}

}  // namespace

std::string earlierRunFiles(const TrainingSettings& s) {
  std::string files;
  if (fs::exists(checkpointFileIn(checkpointDirOf(s)))) files = "a checkpoint in " + checkpointDirOf(s);
  if (!s.output.empty() && fs::exists(s.output)) files += (files.empty() ? "" : " and ") + s.output;
  return files;
}

void validate(const MotionAdapterTrainingSettings& s) {
  validateCommon(s);
  if (s.dataset.empty()) throw ConfigError("train motion-adapter needs a frozen-video dataset");
  // The Motion Adapter learns to turn the base T2V's videos into frozen ones (paper §3.1); trained
  // on a customized model it would learn that model's look too, which is the Spatial Adapters' job.
  if (!s.model.custom.empty() || !s.model.loras.empty())
    throw ConfigError(
        "train motion-adapter trains on the base model only: drop the customized model (--custom) and LoRAs "
        "(--lora); they belong to train spatial-adapters");
}

void validate(const SpatialAdaptersTrainingSettings& s) {
  validateCommon(s);
  if (s.customDataset.empty()) throw ConfigError("train spatial-adapters needs the customized frozen-video dataset");
  if (s.model.custom.empty() && s.model.loras.empty())
    throw ConfigError("train spatial-adapters needs the customized model (--custom or --lora) whose look to learn");
  settings::requireInRange(settings::Command::TrainSpatialAdapters, "prior-ratio", s.priorRatio);
  if (s.priorRatio > 0 && s.priorDataset.empty())
    throw ConfigError(
        "a prior ratio above 0 needs a prior-video dataset (or set the ratio to 0: no prior preservation)");
  adapters::requireKnownSpatialAdapterGroups(s.groups);
}

TrainingSummary trainMotionAdapter(const MotionAdapterTrainingSettings& s, jobs::JobContext& job) {
  validate(s);
  json trajectory = trajectoryJson(s);
  trajectory["kind"] = "motion-adapter";
  trajectory["dataset"] = s.dataset;
  TrainingRun run(s, trajectory, job);
  const datasets::LatentVideoDataset dataset = datasets::LatentVideoDataset::open(s.dataset);
  requireKind(dataset, datasets::DatasetKind::Frozen, "the Motion Adapter");
  pipelines::ModelSet sources = s.model;
  sources.motionAdapter.clear();
  sources.spatialAdapters.clear();
  run.loadModels(sources);
  models::UNet3D& unet = run.pipeline().unet();
  const int frames = framesFor(s, dataset, unet);
  auto adapter = adapters::MotionAdapter::create(unet, {.rank = s.rank, .seed = s.seed});
  run.pipeline().addAdapter(adapter);
  adapter->setScale(1.0);  // trained at a = 1: frozen videos are what a = 1 means
  job.info("training " + adapter->describe() + " on " + std::to_string(dataset.size()) + " frozen videos of " +
           std::to_string(frames) + " frames");
  return run.train(
      adapter->parameters(),
      [&](int, int, at::Generator& generator, std::string&) {
        auto [latents, embeddings] = run.batch(dataset, frames, generator);
        return run.loss(latents, embeddings, generator);
      },
      [&](const std::string& path, const json& record) {
        adapter->metadata().training = io::dumpJson(record);
        adapter->save(path);
      });
}

TrainingSummary trainSpatialAdapters(const SpatialAdaptersTrainingSettings& s, jobs::JobContext& job) {
  validate(s);
  json trajectory = trajectoryJson(s);
  trajectory["kind"] = s.trainAllSpatialWeights ? "spatial-weights" : "spatial-adapters";
  trajectory["custom_dataset"] = s.customDataset;
  trajectory["prior_dataset"] = s.priorDataset;
  trajectory["motion_adapter"] = s.motionAdapter;
  trajectory["prior_ratio"] = s.priorRatio;
  trajectory["groups"] = s.groups;
  TrainingRun run(s, trajectory, job);
  const datasets::LatentVideoDataset custom = datasets::LatentVideoDataset::open(s.customDataset);
  std::optional<datasets::LatentVideoDataset> prior;
  requireKind(custom, datasets::DatasetKind::Frozen, "--dataset of the Spatial Adapters");
  if (s.priorRatio > 0) {
    prior = datasets::LatentVideoDataset::open(s.priorDataset);
    requireKind(*prior, datasets::DatasetKind::Prior, "prior preservation");
  }

  pipelines::ModelSet sources = s.model;  // customized weights injected (or LoRAs merged)
  sources.motionAdapter = s.motionAdapter;
  sources.spatialAdapters.clear();
  run.loadModels(sources);
  models::UNet3D& unet = run.pipeline().unet();
  const int frames = framesFor(s, custom, unet);
  std::shared_ptr<adapters::UNetAdapter> motion;
  for (const auto& a : run.pipeline().adapters())
    if (a->kind() == adapters::AdapterKind::Motion) motion = a;
  if (!motion) job.warn("no Motion Adapter: the ablation that trains on frozen videos at a = 0 (expect static videos)");

  engine::NamedTensors trainable;
  std::shared_ptr<adapters::SpatialAdapters> spatial;
  if (s.trainAllSpatialWeights) {
    for (const auto& item : unet->named_parameters())
      if (!adapters::isMotionModuleParameter(item.key())) trainable.emplace_back(item.key(), item.value());
    job.info("ablation: training all " + std::to_string(trainable.size()) + " spatial weights instead of adapters");
  } else {
    spatial = adapters::SpatialAdapters::create(unet, {.rank = s.rank, .groups = s.groups, .seed = s.seed});
    run.pipeline().addAdapter(spatial);
    trainable = spatial->parameters();
    job.info("training " + spatial->describe());
  }
  job.info(std::to_string(custom.size()) + " customized frozen videos" +
           (prior ? ", " + std::to_string(prior->size()) + " prior videos at ratio " + std::to_string(s.priorRatio)
                  : std::string(", no prior preservation")));

  return run.train(
      trainable,
      [&](int step, int, at::Generator& generator, std::string& series) {
        // One draw decides the micro-batch's source: the adapter scale is one per UNet call.
        const bool fromPrior = prior && torch::rand({1}, generator).item<double>() < s.priorRatio;
        if (motion) motion->setScale(fromPrior ? 0.0 : 1.0);
        series = fromPrior ? "loss/prior" : "loss/custom";
        auto [latents, embeddings] = run.batch(fromPrior ? *prior : custom, frames, generator);
        torch::Tensor loss = run.loss(latents, embeddings, generator);
        // The scale the UNet call just ran with, read back from the adapter: a = 1
        // on the customized frozen videos, a = 0 (the original motion) on prior videos.
        if (motion) job.metric("motion_adapter_scale", step + 1, motion->scale());
        return loss;
      },
      [&](const std::string& path, const json& record) {
        if (spatial) {
          spatial->metadata().training = io::dumpJson(record);
          spatial->save(path);
          return;
        }
        // The ablation's result is a UNet weights file in diffusers names: a customized model for --custom.
        std::map<std::string, std::string> meta = {{"format", "pt"}, {"stillmoving_training", io::dumpJson(record)}};
        engine::writeTensors(path, trainable, meta);
      });
}

}  // namespace sm::training
