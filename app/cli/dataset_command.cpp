#include "app/cli/dataset_command.h"

#include <filesystem>
#include <iostream>

#include "app/cli/cli_args.h"
#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/progress_bar.h"
#include "core/datasets/dataset_jobs.h"
#include "core/util/error.h"
#include "core/video/ffmpeg_log.h"
#include "core/worker/jobs.h"

namespace fs = std::filesystem;

namespace sm::cli {
namespace {

constexpr const char* kDatasetUsage = R"(usage: stillmoving dataset frozen --out DIR --base PATH SOURCE [options]
       stillmoving dataset prior --out DIR --base PATH SOURCE [options]

Builds a training-data folder for the Still-Moving adapters: cached latents
(latents.safetensors), dataset.json, a contact sheet (preview.png) and one
preview MP4 per sample (previews/). `stillmoving dataset frozen --help` and
`stillmoving dataset prior --help` list the options.
)";

constexpr const char* kFrozenUsage = R"(usage: stillmoving dataset frozen --out DIR --base PATH SOURCE [options]

Frozen videos: single frames, trained on as --frames identical frames.

source (one of):
  --prompt TEXT           images sampled from the (customized) model in image mode; repeatable,
                          put the customization token in it (the default source)
  --images DIR            your own reference images (a NAME.txt beside NAME.png is its caption)
  --videos DIR            random frames of ordinary videos (the Motion Adapter's data)
  --generated             videos of the base text-to-video model, a random frame of each
                          (needs --motion-module and --prompt)
models:
  --base PATH             SD 1.5, diffusers folder or single file (its VAE encodes the latents)
  --custom PATH  --lora PATH[:STRENGTH]  --tokenizer DIR   the customized model (with --prompt)
  --motion-module PATH    AnimateDiff motion module (with --generated)
data:
  --samples N (4)         images (or videos) per prompt
  --frames-per-video N (1)  random frames taken from each video
  --caption TEXT          the caption of images and videos without a NAME.txt
  --frames N (16)  --width N (512)  --height N (512)   multiples of 8; inputs are resized and centre-cropped
  --steps N (25)  --cfg X (7.5)  --negative TEXT  --seed N (0)  --fps X (8, previews)
engine:
  --device auto|cpu|cuda (auto)  --dtype auto|fp32|fp16|bf16 (auto)  --quiet
)";

constexpr const char* kPriorUsage = R"(usage: stillmoving dataset prior --out DIR --base PATH SOURCE [options]

Prior-preservation videos: natural motion, --frames frames each.

source (one of):
  --videos DIR            your videos: a seeded random choice of --count, each from a random start
  --generated             videos of the base text-to-video model (needs --motion-module and
                          --prompt, repeatable, used in turn)
models:
  --base PATH             SD 1.5, diffusers folder or single file (its VAE encodes the latents)
  --motion-module PATH  --tokenizer DIR   (with --generated)
data:
  --count N (40)          videos
  --frames N (16)  --stride N (1)   frames per video, taking every stride-th source frame
  --width N (512)  --height N (512) multiples of 8; videos are resized and centre-cropped
  --caption TEXT          the caption of videos without a NAME.txt beside them
  --prompt TEXT  --steps N (25)  --cfg X (7.5)  --negative TEXT  (with --generated)
  --seed N (0)  --fps X (8, previews)
engine:
  --device auto|cpu|cuda (auto)  --dtype auto|fp32|fp16|bf16 (auto)  --quiet
)";

const std::set<std::string> kValued = {"out",
                                       "base",
                                       "custom",
                                       "lora",
                                       "tokenizer",
                                       "motion-module",
                                       "prompt",
                                       "images",
                                       "videos",
                                       "samples",
                                       "frames-per-video",
                                       "caption",
                                       "frames",
                                       "width",
                                       "height",
                                       "steps",
                                       "cfg",
                                       "negative",
                                       "seed",
                                       "fps",
                                       "device",
                                       "dtype",
                                       "count",
                                       "stride"};
const std::set<std::string> kFlags = {"generated", "quiet", "help"};

std::string existing(const Args& args, const std::string& name) { return existingPath(args, name).value_or(""); }

// The source among --prompt (model), --images, --videos, --generated; refuses two at once.
datasets::DatasetSource parseSource(const Args& args, bool allowModel) {
  std::vector<std::pair<std::string, datasets::DatasetSource>> given;
  if (args.value("images")) given.push_back({"--images", datasets::DatasetSource::Images});
  if (args.value("videos")) given.push_back({"--videos", datasets::DatasetSource::Videos});
  if (args.flag("generated")) given.push_back({"--generated", datasets::DatasetSource::Generated});
  if (given.size() > 1) throw UsageError(given[0].first + " and " + given[1].first + " are two sources: give one");
  if (!given.empty()) {
    if (given[0].second != datasets::DatasetSource::Generated && !args.values("prompt").empty())
      throw UsageError("--prompt samples from a model: it does not go with " + given[0].first + " (use --caption)");
    return given[0].second;
  }
  if (!allowModel) throw UsageError("give a source: --videos DIR or --generated");
  if (args.values("prompt").empty())
    throw UsageError("give a source: --prompt TEXT, --images DIR, --videos DIR or --generated");
  return datasets::DatasetSource::Model;
}

void fillCommon(const Args& args, datasets::DatasetCommonSettings& s, int defaultFrames) {
  s.out = required(args, "out");
  s.models.base = required(args, "base");
  if (!fs::exists(s.models.base)) throw UsageError("--base " + s.models.base + ": no such file or folder");
  s.models.custom = existing(args, "custom");
  s.models.tokenizer = existing(args, "tokenizer");
  s.models.motionModule = existing(args, "motion-module");
  for (const std::string& spec : args.values("lora")) s.models.loras.push_back(parseLoRA(spec));
  s.frames = args.intValue("frames", defaultFrames, 1, 4096);
  s.width = args.intValue("width", 512, 64, 4096);
  s.height = args.intValue("height", 512, 64, 4096);
  s.seed = parseSeed(args, 0);  // datasets are reproducible by default
  s.fps = args.doubleValue("fps", 8, 0.1, 240);
  s.prompts = args.values("prompt");
  s.negativePrompt = args.value("negative").value_or("");
  s.steps = args.intValue("steps", 25, 1, 1000);
  s.guidance = args.doubleValue("cfg", 7.5, 0, 100);
  s.caption = args.value("caption").value_or("");
  s.device = args.value("device").value_or("auto");
  s.dtype = args.value("dtype").value_or("auto");
}

// Settings errors are the user's command line: one line, exit 2, before any model loads.
template <typename Settings>
void validateAsUsage(const Settings& settings) {
  try {
    settings.validate();
  } catch (const ConfigError& e) {
    throw UsageError(e.what());
  }
}

template <typename Settings, typename Build>
int build(const Args& args, const Settings& settings, std::shared_ptr<jobs::CancelToken> cancel, Build buildDataset) {
  validateAsUsage(settings);
  video::quietFfmpegLogs();
  const jobs::JobListener listener = stderrProgress(args.flag("quiet"));
  jobs::JobContext job(listener, cancel);
  datasets::DatasetSummary summary;
  worker::ComputeWorker computeWorker(settings.device);  // the Studio's worker, for one job
  worker::runAndWait(computeWorker, {"dataset",
                                     [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                                       summary = buildDataset(models, settings, context);
                                     },
                                     listener,
                                     {},
                                     std::move(cancel)});
  const auto count = [](int n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  job.info(count(summary.samples, datasets::datasetKindName(summary.kind) + " sample") +
           (summary.skipped > 0 ? ", " + count(summary.skipped, "input") + " skipped" : "") + "; preview " +
           summary.previewPath);
  std::cout << summary.folder << "\n";
  return kExitOk;
}

int runFrozen(const Args& args, std::shared_ptr<jobs::CancelToken> cancel) {
  datasets::FrozenDatasetSettings s;
  s.source = parseSource(args, true);
  fillCommon(args, s, 16);
  s.inputFolder = args.value(s.source == datasets::DatasetSource::Images ? "images" : "videos").value_or("");
  s.samplesPerPrompt = args.intValue("samples", 4, 1, 100000);
  s.framesPerVideo = args.intValue("frames-per-video", 1, 1, 10000);
  if (args.value("count") || args.value("stride"))
    throw UsageError("--count and --stride are options of dataset prior");
  return build(args, s, std::move(cancel), worker::runFrozenDataset);
}

int runPrior(const Args& args, std::shared_ptr<jobs::CancelToken> cancel) {
  datasets::PriorDatasetSettings s;
  if (args.value("images"))
    throw UsageError("a prior dataset needs motion: give --videos DIR or --generated, not --images");
  s.source = parseSource(args, false);
  fillCommon(args, s, 16);
  s.inputFolder = args.value("videos").value_or("");
  s.count = args.intValue("count", 40, 1, 100000);
  s.stride = args.intValue("stride", 1, 1, 1000);
  for (const char* option : {"samples", "frames-per-video"})
    if (args.value(option)) throw UsageError(std::string("--") + option + " is an option of dataset frozen");
  return build(args, s, std::move(cancel), worker::runPriorDataset);
}

}  // namespace

int runDataset(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    std::cout << kDatasetUsage;
    return argv.empty() ? kExitBadInput : kExitOk;
  }
  const std::string kind = argv[0];
  if (kind != "frozen" && kind != "prior")
    throw UsageError("unknown dataset kind '" + kind + "': use dataset frozen or dataset prior");
  const Args args(std::vector<std::string>(argv.begin() + 1, argv.end()), kValued, kFlags);
  if (args.flag("help")) {
    std::cout << (kind == "frozen" ? kFrozenUsage : kPriorUsage);
    return kExitOk;
  }
  if (!args.positionals().empty()) throw UsageError("unexpected argument '" + args.positionals()[0] + "'");
  return kind == "frozen" ? runFrozen(args, std::move(cancel)) : runPrior(args, std::move(cancel));
}

}  // namespace sm::cli
