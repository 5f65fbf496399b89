// The stages after the models are trained: export in artists' formats, then
// Still-Moving itself run on those files exactly as a user would run it (the
// worker's dataset and training jobs, which the CLI and the Studio use too).
#include <torch/torch.h>

#include <filesystem>

#include "core/datasets/dataset_folder.h"
#include "core/datasets/dataset_jobs.h"
#include "core/datasets/dataset_manifest.h"
#include "core/engine/tensor_loader.h"
#include "core/engine/tensor_writer.h"
#include "core/io/safetensors.h"
#include "core/models/model_export.h"
#include "core/toyworld/customizations.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/world_samples.h"
#include "core/training/training_settings.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/worker/jobs.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

ToyModelFiles modelsOf(const WorldFolder& folder) { return ToyModelFiles{folder.root() / "models"}; }

pipelines::ModelCache& cacheOf(const StageOptions& options) {
  if (!options.models) throw ConfigError("world stage needs the compute worker's models (internal)");
  return *options.models;
}

void copyFile(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

/// A safetensors file again with its floating-point tensors in fp16 and its
/// metadata kept (`to` may be `from`: the file is replaced atomically): what the
/// shipped files are stored as (the loaders compute in their own precision),
/// to keep the shipped world small.
void copyAsHalf(const fs::path& from, const fs::path& to) {
  const io::StateDictIndex index = io::readSafetensors(from.string());
  engine::NamedTensors tensors;
  for (const auto& info : index.tensors()) {
    torch::Tensor t = engine::viewTensor(info, index.owner);
    if (t.is_floating_point()) t = t.to(torch::kFloat16);
    tensors.emplace_back(info.name, t);
  }
  fs::create_directories(to.parent_path());
  engine::writeTensors(to.string(), tensors, index.metadata);
}

datasets::FrozenDatasetSettings frozenSettings(const ToyModelFiles& files, const fs::path& out, uint64_t seed) {
  datasets::FrozenDatasetSettings d;
  d.out = out.string();
  d.models.base = files.base().string();
  d.models.motionModule = files.motionModule().string();
  d.models.tokenizer = files.tokenizer().string();
  d.source = datasets::DatasetSource::Model;
  d.frames = kFramesForAdapters;
  d.width = d.height = 64;
  d.seed = seed;
  d.steps = 20;
  d.guidance = 5.0;
  d.samplesPerPrompt = 2;
  d.device = "cpu";
  d.dtype = "fp32";
  return d;
}

training::TrainingSettings adapterSettings(const ToyModelFiles& files, const fs::path& checkpointDir, int steps) {
  training::TrainingSettings t;
  t.model.base = files.base().string();
  t.model.motionModule = files.motionModule().string();
  t.model.tokenizer = files.tokenizer().string();
  t.device = "cpu";
  t.precision = "fp32";
  t.checkpointDir = checkpointDir.string();
  t.steps = steps;
  t.batchSize = 2;
  t.learningRate = 5e-4;
  t.warmupSteps = 20;
  t.rank = kAdapterRank;
  t.checkpointEvery = 100;
  t.gradientCheckpointing = false;
  t.seed = 707;
  t.resume = fs::exists(t.checkpointDir) && !fs::is_empty(t.checkpointDir);
  return t;
}

StageRecord recordOf(const std::string& stage, const training::TrainingSummary& s, uint64_t seed) {
  StageRecord r;
  r.stage = stage;
  r.steps = s.steps;
  r.seconds = s.secondsPerStep * s.steps;
  r.seed = seed;
  r.figures = {{"final_loss", s.lastLoss}};
  return r;
}

/// Prompts of the base world (no motion words: frozen videos show none).
std::vector<std::string> basePrompts(int count, uint64_t seed) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i)
    out.push_back(world::caption(world::sampleScene(seed, static_cast<uint64_t>(i)), false));
  return out;
}

}  // namespace

void exportModelsStage(const WorldFolder& folder, const StageOptions&, jobs::JobContext& job) {
  const ToyModelFiles files = modelsOf(folder);
  job.beginStage("export", 6);
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::AutoencoderKL vae = loadToyVae(folder);
  models::CLIPTextModel textEncoder = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  models::UNet3D video = loadToyUNet(folder, "t2i", true);
  models::writeDiffusersPipeline(files.base(), *video, *vae, *textEncoder, folder.root() / "tokenizer",
                                 torch::kFloat16);
  job.progress(1);
  models::writeLdmCheckpoint(files.baseSingleFile(), *video, *vae, *textEncoder, torch::kFloat16);
  job.progress(2);
  models::writeMotionAdapter(files.motionModule(), *video, torch::kFloat16);
  job.progress(3);
  // Only the UNet was fine-tuned: the file carries it alone (as pruned DreamBooth files do).
  models::UNet3D object = loadToyUNet(folder, "object", false);
  models::writeLdmUNet(files.object(), *object, torch::kFloat16);
  job.progress(4);
  copyAsHalf(folder.weights("style"), files.styleLora());
  copyAsHalf(folder.weights("evaluator"), files.evaluator());
  fs::create_directories(files.evaluator().parent_path() / "tokenizer");
  for (const auto& entry : fs::directory_iterator(folder.root() / "tokenizer"))
    copyFile(entry.path(), files.evaluator().parent_path() / "tokenizer" / entry.path().filename());
  job.progress(5);
  for (auto [kind, name] :
       {std::pair{CustomizationKind::Object, "object"}, std::pair{CustomizationKind::Style, "style"}}) {
    const auto scenes = referenceScenes(kind);
    const auto pictures = referencePictures(kind);
    fs::create_directories(files.references(name));
    for (size_t i = 0; i < pictures.size(); ++i) {
      const std::string key = datasets::sampleKey(i);
      datasets::writePng((files.references(name) / (key + ".png")).string(), pictures[i]);
      util::writeFileAtomically((files.references(name) / (key + ".txt")).string(),
                                world::caption(scenes[i], false) + "\n");
    }
  }
  job.progress(6);
  writeStageRecord(folder.record("export"), StageRecord{"export", 0, 0, 0, {}, nlohmann::json::object()});
}

void trainMotionAdapterStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  const ToyModelFiles files = modelsOf(folder);
  datasets::FrozenDatasetSettings d = frozenSettings(files, folder.root() / "datasets" / "frozen_base", 808);
  d.prompts = basePrompts(24, 808);
  if (!fs::exists(fs::path(d.out) / datasets::kManifestFile)) worker::runFrozenDataset(cacheOf(options), d, job);
  training::MotionAdapterTrainingSettings t;
  static_cast<training::TrainingSettings&>(t) =
      adapterSettings(files, folder.checkpoint("motion_adapter"), static_cast<int>(scaledSteps(300, options)));
  t.highNoiseWeightCap = kHighNoiseWeightCap;
  t.dataset = d.out;
  t.output = files.motionAdapter().string();
  const training::TrainingSummary summary = worker::runMotionAdapterTraining(cacheOf(options), t, job);
  copyAsHalf(t.output, t.output);
  writeStageRecord(folder.record("motion_adapter"), recordOf("motion_adapter", summary, t.seed));
}

training::TrainingSummary trainToySpatialAdapters(const SpatialAdapterRun& run, pipelines::ModelCache& cache,
                                                  jobs::JobContext& job) {
  const ToyModelFiles& files = run.files;
  const bool object = run.kind == CustomizationKind::Object;
  datasets::PriorDatasetSettings p;
  if (run.withPrior) {
    const fs::path videos = run.workDir / "world_videos";
    if (!fs::exists(videos / "captions.jsonl")) writeWorldSamples(videos, SampleKind::Videos, 40, 909, job);
    p.out = (run.workDir / "datasets" / "prior").string();
    p.models.base = files.base().string();
    p.models.tokenizer = files.tokenizer().string();
    p.inputFolder = videos.string();
    p.count = 40;
    p.frames = kFramesForAdapters;
    p.width = p.height = 64;
    p.seed = 909;
    p.device = "cpu";
    p.dtype = "fp32";
    if (!fs::exists(fs::path(p.out) / datasets::kManifestFile)) worker::runPriorDataset(cache, p, job);
  }

  datasets::FrozenDatasetSettings d =
      frozenSettings(files, run.workDir / "datasets" / (object ? "frozen_object" : "frozen_style"), 1010);
  for (const auto& scene : referenceScenes(run.kind)) d.prompts.push_back(world::caption(scene, false));
  d.samplesPerPrompt = 4;
  if (object)
    d.models.custom = files.object().string();
  else
    d.models.loras = {{files.styleLora().string(), 1.0f}};
  if (!fs::exists(fs::path(d.out) / datasets::kManifestFile)) worker::runFrozenDataset(cache, d, job);

  training::SpatialAdaptersTrainingSettings t;
  static_cast<training::TrainingSettings&>(t) = adapterSettings(files, run.checkpointDir, run.steps);
  t.model.custom = d.models.custom;
  t.model.loras = d.models.loras;
  t.customDataset = d.out;
  t.priorDataset = p.out;  // "" without the prior
  t.priorRatio = run.withPrior ? 0.5 : 0.0;
  if (run.withMotionAdapter) t.motionAdapter = files.motionAdapter().string();
  t.trainAllSpatialWeights = run.allSpatialWeights;
  t.output = run.output.string();
  const training::TrainingSummary summary = worker::runSpatialAdaptersTraining(cache, t, job);
  copyAsHalf(run.output, run.output);
  return summary;
}

namespace {

void trainSpatial(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job,
                  CustomizationKind kind) {
  const ToyModelFiles files = modelsOf(folder);
  const bool object = kind == CustomizationKind::Object;
  const std::string name = object ? "spatial_object" : "spatial_style";
  SpatialAdapterRun run{files,
                        folder.root(),
                        kind,
                        static_cast<int>(scaledSteps(150, options)),
                        object ? files.objectSpatialAdapters() : files.styleSpatialAdapters(),
                        folder.checkpoint(name)};
  const training::TrainingSummary summary = trainToySpatialAdapters(run, cacheOf(options), job);
  writeStageRecord(folder.record(name), recordOf(name, summary, 707));
}

}  // namespace

std::filesystem::path noMotionAdapterAblation(const WorldFolder& folder) {
  return folder.root() / "ablations" / "spatial_adapters_object_no_motion_adapter.safetensors";
}

void trainObjectAblationStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  SpatialAdapterRun run{modelsOf(folder),
                        folder.root(),
                        CustomizationKind::Object,
                        static_cast<int>(scaledSteps(150, options)),
                        noMotionAdapterAblation(folder),
                        folder.checkpoint("ablation_object"),
                        /*withMotionAdapter=*/false};
  fs::create_directories(run.output.parent_path());
  const training::TrainingSummary summary = trainToySpatialAdapters(run, cacheOf(options), job);
  writeStageRecord(folder.record("ablation_object"), recordOf("ablation_object", summary, 707));
}

void trainObjectSpatialStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  trainSpatial(folder, options, job, CustomizationKind::Object);
}

void trainStyleSpatialStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  trainSpatial(folder, options, job, CustomizationKind::Style);
}

}  // namespace sm::toyworld
