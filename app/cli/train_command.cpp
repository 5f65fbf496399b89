#include "app/cli/train_command.h"

#include <iostream>
#include <sstream>

#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/worker_job.h"
#include "core/training/training_requests.h"
#include "core/training/training_settings.h"
#include "core/util/duration.h"
#include "core/util/error.h"
#include "core/worker/jobs.h"

namespace sm::cli {
namespace {

constexpr const char* kTrainUsage =
    R"(usage: stillmoving train motion-adapter --base PATH --motion-module PATH --dataset DIR --out FILE.safetensors
       stillmoving train spatial-adapters --base PATH --motion-module PATH (--custom PATH | --lora PATH)
                    --dataset DIR [--prior DIR] [--motion-adapter FILE] --out FILE.safetensors

motion-adapter: LoRA on the motion modules' temporal attention, trained at a = 1 on
frozen videos (stillmoving dataset frozen) of the base model. Once per base T2V.
spatial-adapters: low-rank maps after the customized model's spatial layers, trained
through the whole video model on its frozen videos (Motion Adapter at a = 1) and on
natural videos (stillmoving dataset prior) at a = 0.
)";

constexpr const char* kMotionUsage =
    R"(usage: stillmoving train motion-adapter --base PATH --motion-module PATH --dataset DIR --out FILE.safetensors

LoRA on the motion modules' temporal attention, trained at a = 1 on frozen
videos (stillmoving dataset frozen) of the base model. Once per base T2V.
)";

constexpr const char* kSpatialUsage =
    R"(usage: stillmoving train spatial-adapters --base PATH --motion-module PATH (--custom PATH | --lora PATH)
                    --dataset DIR [--prior DIR] [--motion-adapter FILE] --out FILE.safetensors

Low-rank maps after the customized model's spatial layers, trained through the
whole video model on its frozen videos (Motion Adapter at a = 1) and on natural
videos (stillmoving dataset prior) at a = 0.
)";

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void readCommon(const SettingOptions& args, training::TrainingSettings& s) {
  s.model.base = args.required("base");
  requireExists("base", s.model.base);
  s.model.motionModule = args.required("motion-module");
  requireExists("motion-module", s.model.motionModule);
  s.model.custom = existingPath(args, "custom").value_or("");
  s.model.tokenizer = existingPath(args, "tokenizer").value_or("");
  for (const auto& spec : args.values("lora")) s.model.loras.push_back(parseLoRA(spec));
  s.output = args.required("out");
  try {  // core's rule, checked before anything else so that the message names the option
    training::requireAdapterOutput(s.output);
  } catch (const ConfigError& e) {
    throw UsageError(std::string("--out ") + e.what());
  }
  s.checkpointDir = args.value("checkpoint-dir").value_or("");
  s.steps = args.integer("steps");
  s.batchSize = args.integer("batch");
  s.gradientAccumulation = args.integer("accumulate");
  s.learningRate = args.real("lr");
  s.warmupSteps = args.integer("warmup");
  s.weightDecay = args.real("weight-decay");
  s.highNoiseWeightCap = args.real("high-noise-weight");
  s.rank = args.integer("rank");
  s.frames = args.integer("frames");
  s.seed = args.seed("seed", 0);
  s.checkpointEvery = args.integer("checkpoint-every");
  s.resume = args.flag("resume");
  s.overwrite = args.flag("overwrite");
  s.gradientCheckpointing = !args.flag("no-gradient-checkpointing");
  s.device = args.choice("device");
  s.force = args.flag("force");
  s.precision = args.choice("precision");
}

// Settings errors are the user's command line: one line, exit 2, before any model loads.
template <typename Settings>
void validateAsUsage(const Settings& settings) {
  try {
    training::validate(settings);
  } catch (const ConfigError& e) {
    throw UsageError(e.what());
  }
}

TrainInvocation parseMotionAdapter(const SettingOptions& args) {
  for (const char* option : {"prior", "prior-ratio", "motion-adapter", "groups", "train-all-spatial"})
    if (args.given(option)) throw UsageError(std::string("--") + option + " is for train spatial-adapters");
  training::MotionAdapterTrainingSettings s;
  readCommon(args, s);
  s.dataset = args.required("dataset");
  requireExists("dataset", s.dataset);
  validateAsUsage(s);
  return {s, args.flag("quiet")};
}

TrainInvocation parseSpatialAdapters(const SettingOptions& args) {
  training::SpatialAdaptersTrainingSettings s;
  readCommon(args, s);
  s.customDataset = args.required("dataset");
  requireExists("dataset", s.customDataset);
  s.priorDataset = existingPath(args, "prior").value_or("");
  s.priorRatio =
      args.given("prior-ratio") ? args.real("prior-ratio") : training::defaultPriorRatio(!s.priorDataset.empty());
  s.motionAdapter = existingPath(args, "motion-adapter").value_or("");
  if (auto groups = args.value("groups")) s.groups = splitList(*groups);
  s.trainAllSpatialWeights = args.flag("train-all-spatial");
  validateAsUsage(s);
  return {s, args.flag("quiet")};
}

void printSummary(const training::TrainingSummary& summary, jobs::JobContext& job) {
  std::ostringstream line;
  line << summary.steps << " steps";
  if (summary.resumedFrom > 0) line << " (resumed at " << summary.resumedFrom << ")";
  line << ", last loss " << summary.lastLoss << ", " << formatDuration(summary.secondsPerStep) << "/step";
  job.info(line.str());
  std::cout << summary.output << "\n";
}

}  // namespace

TrainCommand::TrainCommand(CLI::App& root)
    : app_(root.add_subcommand("train")),
      motionApp_(app_->add_subcommand("motion-adapter")),
      spatialApp_(app_->add_subcommand("spatial-adapters")),
      motion_(*motionApp_, settings::Command::TrainMotionAdapter, settings::kTrain),
      spatial_(*spatialApp_, settings::Command::TrainSpatialAdapters, settings::kTrain) {
  setHelp(*app_, kTrainUsage, settings::kTrain);
  setHelp(*motionApp_, kMotionUsage, settings::bit(settings::Command::TrainMotionAdapter));
  setHelp(*spatialApp_, kSpatialUsage, settings::bit(settings::Command::TrainSpatialAdapters));
  for (CLI::App* app : {app_, motionApp_, spatialApp_}) app->allow_extras();
  app_->require_subcommand(0, 1);
}

TrainInvocation TrainCommand::parse() const {
  if (!motionApp_->parsed() && !spatialApp_->parsed()) {
    const std::vector<std::string> rest = app_->remaining();
    if (rest.empty()) throw UsageError("train what? motion-adapter or spatial-adapters (--help for options)");
    if (rest[0].rfind("-", 0) == 0) refuseExtras(*app_);
    throw UsageError("unknown training '" + rest[0] + "': motion-adapter or spatial-adapters");
  }
  const bool motion = motionApp_->parsed();
  refuseExtras(motion ? *motionApp_ : *spatialApp_);
  const SettingOptions& options = motion ? motion_ : spatial_;
  options.check();
  return motion ? parseMotionAdapter(options) : parseSpatialAdapters(options);
}

int runTrain(const TrainInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  const jobs::JobListener listener = stderrProgress(invocation.quiet);
  jobs::JobContext job(listener, cancel);
  // Training runs as one job on a compute worker, as in the Studio.
  const auto onWorker = [&](const std::string& device, auto run) {
    training::TrainingSummary summary;
    runOnWorker(device, "train", listener, cancel,
                [&](pipelines::ModelCache& models, jobs::JobContext& context) { summary = run(models, context); });
    return summary;
  };
  if (const auto* s = std::get_if<training::MotionAdapterTrainingSettings>(&invocation.settings)) {
    printSummary(onWorker(s->device,
                          [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                            return worker::runMotionAdapterTraining(models, *s, context);
                          }),
                 job);
    return kExitOk;
  }
  const auto& s = std::get<training::SpatialAdaptersTrainingSettings>(invocation.settings);
  if (s.motionAdapter.empty())
    job.warn("no --motion-adapter: training the \"no Motion Adapter\" ablation (expect static videos)");
  printSummary(onWorker(s.device,
                        [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                          return worker::runSpatialAdaptersTraining(models, s, context);
                        }),
               job);
  return kExitOk;
}

}  // namespace sm::cli
