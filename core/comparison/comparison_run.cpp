#include "core/comparison/comparison_run.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "core/comparison/results_document.h"
#include "core/evaluation/embedder.h"
#include "core/evaluation/video_evaluation.h"
#include "core/io/json_file.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_model_files.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "core/video/video_writer.h"
#include "core/worker/jobs.h"

namespace sm::comparison {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using toyworld::CustomizationKind;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string scaleTag(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f", a);
  return buf;
}

/// The output folder belongs to one config: refuse another's unless asked.
void claimOutputFolder(const ComparisonRequest& request) {
  const fs::path configFile = request.out / "config.json";
  const json wanted = request.config.toJson();
  if (fs::exists(configFile)) {
    const json existing = io::readJsonFile(configFile.string());
    if (existing != wanted) {
      if (!request.overwrite)
        throw ConfigError("'" + request.out.string() +
                          "' holds a comparison made with another config (its config.json): give another --out, "
                          "or --overwrite to discard its videos and trained files");
      // Only what this command wrote there: the folder may hold the user's own files.
      for (const char* part : {"videos", "training", "results.json", "timings.json"})
        fs::remove_all(request.out / part);
    }
  } else if (fs::exists(request.out) && !fs::is_directory(request.out)) {
    throw ConfigError("--out: '" + request.out.string() + "' exists and is not a folder");
  }
  fs::create_directories(request.out);
  util::writeFileAtomically(configFile.string(), wanted.dump(2) + "\n");
}

pipelines::ModelSet baseSet(const toyworld::ToyModelFiles& files) {
  pipelines::ModelSet m;
  m.base = files.base().string();
  m.motionModule = files.motionModule().string();
  m.tokenizer = files.tokenizer().string();
  return m;
}

/// The customization put in as it is (the object's DreamBooth weights injected,
/// the style LoRA merged at `strength`).
pipelines::ModelSet customizedSet(const toyworld::ToyModelFiles& files, CustomizationKind kind, float strength = 1) {
  pipelines::ModelSet m = baseSet(files);
  if (kind == CustomizationKind::Object)
    m.custom = files.object().string();
  else
    m.loras = {{files.styleLora().string(), strength}};
  return m;
}

fs::path trainedFile(const fs::path& out, CustomizationKind kind, Method method) {
  return out / "training" / customizationId(kind) / (std::string(methodInfo(method).id) + ".safetensors");
}

/// Trains one method's adapters (or weights) unless its file is there already
/// (written atomically at the end of a run, so its presence means complete).
TrainedMethod trainMethod(const ComparisonRequest& request, const toyworld::ToyModelFiles& files,
                          CustomizationKind kind, Method method, pipelines::ModelCache& cache, jobs::JobContext& job) {
  const fs::path output = trainedFile(request.out, kind, method);
  const fs::path record = fs::path(output).replace_extension(".json");
  TrainedMethod trained{kind, method, fs::relative(output, request.out).string(), request.config.trainSteps, 0};
  if (fs::exists(output)) {
    if (fs::exists(record)) {  // absent only when the run died between the two writes
      const json r = io::readJsonFile(record.string());
      trained.steps = r.value("steps", trained.steps);
      trained.seconds = r.value("seconds", 0.0);
    }
    job.info("compare: reusing " + trained.file);
    return trained;
  }
  job.info("compare: training " + std::string(methodInfo(method).label) + " for the " + customizationId(kind));
  toyworld::SpatialAdapterRun run;
  run.files = files;
  run.workDir = request.out / "training";
  run.kind = kind;
  run.steps = request.config.trainSteps;
  run.output = output;
  run.checkpointDir = fs::path(output).replace_extension(".checkpoints");
  run.withMotionAdapter = method != Method::Interleaved && method != Method::NoMotionAdapter;
  run.withPrior = method != Method::NoPrior;
  run.allSpatialWeights = method == Method::Interleaved || method == Method::AllSpatialWeights;
  fs::create_directories(output.parent_path());
  const auto start = Clock::now();
  const training::TrainingSummary summary = toyworld::trainToySpatialAdapters(run, cache, job);
  trained.steps = summary.steps;
  trained.seconds = secondsSince(start);
  util::writeFileAtomically(record.string(),
                            json{{"steps", trained.steps}, {"seconds", trained.seconds}}.dump(2) + "\n");
  return trained;
}

pipelines::ModelSet methodSet(const ComparisonRequest& request, const toyworld::ToyModelFiles& files,
                              CustomizationKind kind, Method method) {
  const float lambda = static_cast<float>(request.config.interpolation);
  switch (method) {
    case Method::Base: return baseSet(files);
    case Method::NaiveInjection: return customizedSet(files, kind);
    case Method::Interpolation: {
      // A LoRA's weight interpolation is the LoRA at strength lambda: W + lambda * BA.
      if (kind == CustomizationKind::Style) return customizedSet(files, kind, lambda);
      pipelines::ModelSet m = customizedSet(files, kind);
      m.interpolation = lambda;
      return m;
    }
    case Method::Interleaved:
    case Method::AllSpatialWeights: {
      // The trained spatial weights replace the customized ones (the LoRA is merged into them).
      pipelines::ModelSet m = baseSet(files);
      m.custom = trainedFile(request.out, kind, method).string();
      if (method == Method::AllSpatialWeights) m.motionAdapter = files.motionAdapter().string();
      return m;
    }
    case Method::StillMoving:
    case Method::NoPrior:
    case Method::NoMotionAdapter: {
      pipelines::ModelSet m = customizedSet(files, kind);
      m.spatialAdapters = trainedFile(request.out, kind, method).string();
      if (method != Method::NoMotionAdapter) m.motionAdapter = files.motionAdapter().string();
      return m;
    }
  }
  throw std::logic_error("methodSet: unknown method");
}

void requireCustomizationFiles(const toyworld::ToyModelFiles& files, CustomizationKind kind) {
  const fs::path weights = kind == CustomizationKind::Object ? files.object() : files.styleLora();
  for (const fs::path& p : {weights, files.motionAdapter(), files.references(customizationId(kind))})
    if (!fs::exists(p))
      throw ConfigError("the toy world '" + files.root.string() + "' lacks " + p.string() + " (the " +
                        customizationId(kind) + " customization): run `stillmoving world train` again");
}

/// A path as the document shows it: relative to the working folder when inside it.
std::string displayPath(const fs::path& p) {
  const fs::path relative = fs::proximate(p);
  return relative.empty() || *relative.begin() == ".." ? p.string() : relative.string();
}

}  // namespace

ComparisonResult runComparison(const ComparisonRequest& request, pipelines::ModelCache& cache, jobs::JobContext& job) {
  const auto start = Clock::now();
  const ComparisonConfig& config = request.config;
  if (config.customizations.empty() || config.methods.empty() || config.seeds.empty())
    throw ConfigError("compare: the config runs nothing (no customization, method or seed)");
  std::optional<toyworld::ToyModelFiles> found;
  if (!config.models.empty()) {
    found = toyworld::ToyModelFiles{config.models};
    if (!found->hasBase())
      throw ConfigError("\"models\": '" + config.models.string() +
                        "' is not a toy world's models folder (no base/, motion_module/)");
  } else {
    found = toyworld::shippedToyWorld();
    if (!found)
      throw ConfigError(
          "no toy world found: set \"models\" in the config or SM_TOYWORLD to a models folder made by "
          "`stillmoving world train`");
  }
  const toyworld::ToyModelFiles files = *found;
  for (const auto& plan : config.customizations) requireCustomizationFiles(files, plan.kind);
  claimOutputFolder(request);

  ComparisonResult result;
  result.config = config;
  for (const auto& plan : config.customizations)
    for (Method method : config.methods)
      if (methodInfo(method).trained)
        result.trained.push_back(trainMethod(request, files, plan.kind, method, cache, job));

  job.beginStage("loading the evaluator", 1);
  std::unique_ptr<evaluation::Embedder> embedder =
      evaluation::openEmbedder(config.evaluator == "toy" ? files.evaluator().string() : config.evaluator);
  result.evaluator = config.evaluator == "toy" ? "the toy world's evaluator (" + displayPath(files.evaluator()) + ")"
                                               : embedder->name();
  job.progress(1);

  struct Item {
    const CustomizationPlan* plan;
    Method method;
    double scale;
  };
  std::vector<Item> items;
  for (const auto& plan : config.customizations)
    for (Method method : config.methods) {
      if (method == Method::StillMoving)
        for (double a : config.motionScales) items.push_back({&plan, method, a});
      else
        items.push_back({&plan, method, 0.0});
    }
  int64_t total = 0;
  for (const Item& item : items) total += static_cast<int64_t>(item.plan->prompts.size() * config.seeds.size());

  std::map<CustomizationKind, torch::Tensor> references;
  for (const auto& plan : config.customizations)
    references[plan.kind] =
        embedder->images(evaluation::readReferencePictures(files.references(customizationId(plan.kind)).string(), job));

  // How long each video took to make, kept across runs so that a resumed run reports the whole.
  const fs::path timingsFile = request.out / "timings.json";
  json timings = fs::exists(timingsFile) ? io::readJsonFile(timingsFile.string()) : json::object();
  job.beginStage("comparing", total);
  int64_t done = 0;
  for (const Item& item : items) {
    const CustomizationKind kind = item.plan->kind;
    // Method outermost: one model set loads once for all its prompts and seeds.
    worker::GenerateJob g;
    g.models = methodSet(request, files, kind, item.method);
    g.dtype = "fp32";  // the figures must not depend on the machine's half-precision support
    g.request.frames = config.frames;
    g.request.width = g.request.height = config.size;
    g.request.steps = config.steps;
    g.request.guidance = config.guidance;
    g.request.motionScale = item.scale;
    std::string folder = methodInfo(item.method).id;
    if (item.method == Method::StillMoving) folder += "_a" + scaleTag(item.scale);
    const fs::path dir = request.out / "videos" / customizationId(kind) / folder;
    fs::create_directories(dir);
    for (size_t p = 0; p < item.plan->prompts.size(); ++p) {
      const ComparisonPrompt& prompt = item.plan->prompts[p];
      const torch::Tensor promptEmbedding = embedder->texts({prompt.evaluationPrompt});
      for (uint64_t seed : config.seeds) {
        job.throwIfCancelled();
        const fs::path file = dir / ("p" + std::to_string(p) + "_s" + std::to_string(seed) + ".mp4");
        // Scored as read back from the file (what `stillmoving eval` would score, H.264 included),
        // so a resumed run scores a reused video exactly as the run that made it.
        if (!fs::exists(file)) {  // written atomically: complete when there
          job.info("compare: " + customizationId(kind) + " / " + folder + " / prompt " + std::to_string(p) +
                   " / seed " + std::to_string(seed));
          g.request.prompt = prompt.prompt;
          g.request.seed = seed;
          const auto t = Clock::now();
          video::writeVideo(file.string(), worker::runGenerate(cache, g, job).clips.front());
          const double seconds = secondsSince(t);
          result.generationSeconds += seconds;
          ++result.videosGenerated;
          timings[fs::relative(file, request.out).string()] = seconds;
          util::writeFileAtomically(timingsFile.string(), timings.dump(1) + "\n");
        }
        result.allGenerationSeconds += timings.value(fs::relative(file, request.out).string(), 0.0);
        const video::VideoClip clip = video::readVideo(file.string());
        ComparedVideo v;
        v.customization = kind;
        v.method = item.method;
        v.motionScale = item.scale;
        v.prompt = static_cast<int>(p);
        v.seed = seed;
        v.video = fs::relative(file, request.out).string();
        v.scores = evaluation::scoreVideo(clip, *embedder, promptEmbedding, references[kind]);
        result.videos.push_back(v);
        job.progress(++done);
      }
    }
  }

  result.seconds = secondsSince(start);
  result.document = request.document.empty() ? request.out / "RESULTS.md" : request.document;
  result.json = request.out / "results.json";
  writeResults(result, request.out, job);
  return result;
}

}  // namespace sm::comparison
