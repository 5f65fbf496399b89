#include "app/cli/train_command.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "app/cli/cli_args.h"
#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/progress_bar.h"
#include "core/training/training_settings.h"
#include "core/util/error.h"
#include "core/worker/jobs.h"

namespace fs = std::filesystem;

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

models:
  --base PATH  --motion-module PATH  --custom PATH  --lora PATH[:STRENGTH]  --tokenizer DIR
data:
  --dataset DIR          frozen videos (motion-adapter: of the base; spatial-adapters: of the customized model)
  --prior DIR            spatial-adapters: natural videos for prior preservation
  --prior-ratio X (0.5)  share of micro-batches from --prior; 0 = no prior preservation (ablation)
  --motion-adapter FILE  spatial-adapters: the trained Motion Adapter (without: the "no Motion
                         Adapter" ablation, frozen videos at a = 0)
  --frames N             frames per training video (the dataset's)
optimization:
  --steps N (1000)  --batch N (1)  --accumulate N (1)  --lr X (1e-4)  --warmup N (50)
  --weight-decay X (0.01)  --rank N (32)  --seed N (0)
  --groups LIST          spatial-adapters: layer groups, comma separated, of attention,
                         feed-forward, projections, resnets, sampling, io (all)
  --train-all-spatial    spatial-adapters: train every spatial weight instead of adapters
                         (ablation; writes a UNet weights file usable as --custom)
checkpoints:
  --checkpoint-every N (100)  --checkpoint-dir DIR (OUT.checkpoints)  --resume
engine:
  --device auto|cpu|cuda (auto)  --precision auto|fp32|bf16 (auto: bf16 autocast on CUDA)
  --no-gradient-checkpointing  --quiet
)";

const std::set<std::string> kValued = {
    "base",        "motion-module",  "custom", "lora",  "tokenizer", "dataset",          "prior",
    "prior-ratio", "motion-adapter", "frames", "steps", "batch",     "accumulate",       "lr",
    "warmup",      "weight-decay",   "rank",   "seed",  "groups",    "checkpoint-every", "checkpoint-dir",
    "device",      "precision",      "out"};
const std::set<std::string> kFlags = {"resume", "train-all-spatial", "no-gradient-checkpointing", "quiet", "help"};
const std::set<std::string> kSpatialOnly = {"prior", "prior-ratio", "motion-adapter", "groups"};

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void readCommon(const Args& args, training::TrainingSettings& s) {
  s.model.base = required(args, "base");
  requireExists("base", s.model.base);
  s.model.motionModule = required(args, "motion-module");
  requireExists("motion-module", s.model.motionModule);
  s.model.custom = existingPath(args, "custom").value_or("");
  s.model.tokenizer = existingPath(args, "tokenizer").value_or("");
  for (const auto& spec : args.values("lora")) s.model.loras.push_back(parseLoRA(spec));
  s.output = required(args, "out");
  if (fs::path(s.output).extension() != ".safetensors")
    throw UsageError("--out " + s.output + ": adapters are written as .safetensors");
  const fs::path parent = fs::path(s.output).parent_path().empty() ? "." : fs::path(s.output).parent_path();
  if (!fs::is_directory(parent))
    throw UsageError("--out " + s.output + ": folder " + parent.string() + " does not exist");
  s.checkpointDir = args.value("checkpoint-dir").value_or("");
  s.steps = args.intValue("steps", 1000, 1, 10'000'000);
  s.batchSize = args.intValue("batch", 1, 1, 256);
  s.gradientAccumulation = args.intValue("accumulate", 1, 1, 1024);
  s.learningRate = args.doubleValue("lr", 1e-4, 1e-9, 1);
  s.warmupSteps = args.intValue("warmup", 50, 0, 10'000'000);
  s.weightDecay = args.doubleValue("weight-decay", 1e-2, 0, 10);
  s.rank = args.intValue("rank", 32, 1, 1024);
  s.frames = args.intValue("frames", 0, 0, 4096);
  s.seed = parseSeed(args, 0);
  s.checkpointEvery = args.intValue("checkpoint-every", 100, 0, 10'000'000);
  s.resume = args.flag("resume");
  s.gradientCheckpointing = !args.flag("no-gradient-checkpointing");
  s.device = args.value("device").value_or("auto");
  if (s.device != "auto" && s.device != "cpu" && s.device != "cuda")
    throw UsageError("--device must be auto, cpu or cuda, not '" + s.device + "'");
  s.precision = args.value("precision").value_or("auto");
  if (s.precision != "auto" && s.precision != "fp32" && s.precision != "bf16")
    throw UsageError("--precision must be auto, fp32 or bf16, not '" + s.precision + "'");
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

int runTrain(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel) {
  const Args args(argv, kValued, kFlags);
  if (args.flag("help") || args.positionals().empty()) {
    if (!args.flag("help")) throw UsageError("train what? motion-adapter or spatial-adapters (--help for options)");
    std::cout << kTrainUsage;
    return kExitOk;
  }
  const std::string what = args.positionals()[0];
  if (args.positionals().size() > 1) throw UsageError("unexpected argument '" + args.positionals()[1] + "'");
  const jobs::JobListener listener = stderrProgress(args.flag("quiet"));
  jobs::JobContext job(listener, cancel);
  // Training runs on a compute worker like the Studio's, as one job.
  const auto runOnWorker = [&](const std::string& device, auto run) {
    training::TrainingSummary summary;
    worker::ComputeWorker computeWorker(device);
    worker::runAndWait(computeWorker, {"train",
                                       [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                                         summary = run(models, context);
                                       },
                                       listener,
                                       {},
                                       cancel});
    return summary;
  };

  if (what == "motion-adapter") {
    for (const auto& option : kSpatialOnly)
      if (args.value(option)) throw UsageError("--" + option + " is for train spatial-adapters");
    if (args.flag("train-all-spatial")) throw UsageError("--train-all-spatial is for train spatial-adapters");
    training::MotionAdapterTrainingSettings s;
    readCommon(args, s);
    s.dataset = required(args, "dataset");
    requireExists("dataset", s.dataset);
    try {
      training::validate(s);
    } catch (const ConfigError& e) {
      throw UsageError(e.what());
    }
    printSummary(runOnWorker(s.device,
                             [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                               return worker::runMotionAdapterTraining(models, s, context);
                             }),
                 job);
    return kExitOk;
  }
  if (what == "spatial-adapters") {
    training::SpatialAdaptersTrainingSettings s;
    readCommon(args, s);
    s.customDataset = required(args, "dataset");
    requireExists("dataset", s.customDataset);
    s.priorDataset = existingPath(args, "prior").value_or("");
    s.priorRatio = args.doubleValue("prior-ratio", s.priorDataset.empty() ? 0.0 : 0.5, 0, 0.99);
    s.motionAdapter = existingPath(args, "motion-adapter").value_or("");
    if (auto groups = args.value("groups")) s.groups = splitList(*groups);
    s.trainAllSpatialWeights = args.flag("train-all-spatial");
    try {
      training::validate(s);
    } catch (const ConfigError& e) {
      throw UsageError(e.what());
    }
    if (s.motionAdapter.empty())
      job.warn("no --motion-adapter: training the \"no Motion Adapter\" ablation (expect static videos)");
    printSummary(runOnWorker(s.device,
                             [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                               return worker::runSpatialAdaptersTraining(models, s, context);
                             }),
                 job);
    return kExitOk;
  }
  throw UsageError("unknown training '" + what + "': motion-adapter or spatial-adapters");
}

}  // namespace sm::cli
