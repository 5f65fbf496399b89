#include "app/cli/generate_command.h"

#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "app/cli/cli_args.h"
#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/progress_bar.h"
#include "core/diffusion/scheduler_config.h"
#include "core/util/error.h"
#include "core/video/ffmpeg_log.h"
#include "core/video/video_writer.h"
#include "core/worker/compute_worker.h"
#include "core/worker/jobs.h"

namespace fs = std::filesystem;

namespace sm::cli {
namespace {

constexpr const char* kGenerateUsage =
    R"(usage: stillmoving generate --base PATH --motion-module PATH --prompt TEXT --out FILE.mp4|FILE.gif|DIR
                           [options]

models:
  --base PATH            SD 1.5: diffusers folder or single-file .safetensors/.ckpt
  --motion-module PATH   AnimateDiff motion module (v1/v2/v3, original or diffusers naming)
  --custom PATH          customized SD 1.5 (DreamBooth / fine-tune) injected into the base
  --lora PATH[:STRENGTH] LoRA merged into UNet and text encoder (repeatable; strength 1)
  --tokenizer DIR        a diffusers tokenizer/ folder (single files carry none; CLIP's is built in)
  --interpolate L        with --custom: W = (1-L) W_base + L W_custom instead of injection (baseline)
still-moving:
  --motion-adapter PATH  a trained Motion Adapter (stillmoving train motion-adapter)
  --motion-scale A (0)   its scale: 1 static, 0 the original motion, < 0 more motion
  --spatial-adapters PATH  trained Spatial Adapters (stillmoving train spatial-adapters);
                         give them with the --custom / --lora they were trained on
  --merge-adapters       fold the Spatial Adapters into the weights (faster; same video)
video:
  --prompt TEXT  --negative TEXT
  --frames N (16)  --width N (512)  --height N (512)  multiples of 8
  --steps N (25)  --cfg X (7.5)  --seed N (random)  --videos N (1)  --fps X (8)
  --scheduler ddim|euler|euler-a|dpmpp-2m (ddim)  --karras  --eta X (DDIM, 0)
  --prediction epsilon|v (epsilon)  --clip-skip N (0)
  --context N (16)  --overlap N (4)  --loop     sliding windows for long videos
engine:
  --device auto|cpu|cuda (auto)  --dtype auto|fp32|fp16|bf16 (auto)  --quiet
)";

const std::set<std::string> kValued = {
    "base",   "motion-module", "custom",       "lora",       "tokenizer",   "prompt",         "negative",
    "frames", "width",         "height",       "steps",      "cfg",         "seed",           "videos",
    "fps",    "scheduler",     "eta",          "prediction", "clip-skip",   "context",        "overlap",
    "device", "dtype",         "motion-scale", "out",        "interpolate", "motion-adapter", "spatial-adapters"};
const std::set<std::string> kFlags = {"karras", "loop", "quiet", "help", "merge-adapters"};

// Where video `index` of `count` goes: the path itself for one video, else "name-N.ext" / "dir-N".
std::string outputPath(const std::string& out, int index, int count) {
  if (count == 1) return out;
  const fs::path p(out);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(index + 1) + p.extension().string())).string();
}

void checkOutput(const std::string& out) {
  const fs::path p(out);
  const std::string ext = p.extension().string();
  if (!ext.empty() && ext != ".mp4" && ext != ".gif" && !fs::is_directory(p))
    throw UsageError("--out " + out + ": write .mp4, .gif, or a folder of PNG frames (a path without extension)");
  const fs::path parent = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(parent)) throw UsageError("--out " + out + ": folder " + parent.string() + " does not exist");
}

diffusion::PredictionType parsePrediction(const std::string& name) {
  if (name == "epsilon") return diffusion::PredictionType::Epsilon;
  if (name == "v" || name == "v_prediction") return diffusion::PredictionType::VPrediction;
  throw UsageError("--prediction must be epsilon or v, not '" + name + "'");
}

}  // namespace

int runGenerate(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel) {
  const Args args(argv, kValued, kFlags);
  if (args.flag("help")) {
    std::cout << kGenerateUsage;
    return kExitOk;
  }
  if (!args.positionals().empty()) throw UsageError("unexpected argument '" + args.positionals()[0] + "'");

  // Everything is checked before any model loads: a typo costs a second, not a load.
  pipelines::PipelineSources sources;
  sources.base = required(args, "base");
  sources.motionModule = required(args, "motion-module");
  requireExists("base", sources.base);
  requireExists("motion-module", sources.motionModule);
  if (auto custom = args.value("custom")) {
    requireExists("custom", *custom);
    sources.custom = *custom;
  }
  if (auto tokenizer = args.value("tokenizer")) {
    requireExists("tokenizer", *tokenizer);
    sources.tokenizer = *tokenizer;
  }
  for (const auto& spec : args.values("lora")) sources.loras.push_back(parseLoRA(spec));
  if (args.value("interpolate")) {
    if (sources.custom.empty()) throw UsageError("--interpolate blends the base with --custom: give --custom too");
    sources.interpolation = static_cast<float>(args.doubleValue("interpolate", 1, 0, 1));
  }
  if (auto motionAdapter = args.value("motion-adapter")) {
    requireExists("motion-adapter", *motionAdapter);
    sources.motionAdapter = *motionAdapter;
  }
  if (auto spatial = args.value("spatial-adapters")) {
    requireExists("spatial-adapters", *spatial);
    sources.spatialAdapters = *spatial;
  }
  sources.mergeSpatialAdapters = args.flag("merge-adapters");
  if (sources.mergeSpatialAdapters && sources.spatialAdapters.empty())
    throw UsageError("--merge-adapters merges --spatial-adapters: give them too");
  const std::string out = required(args, "out");
  checkOutput(out);

  pipelines::GenerationRequest request;
  request.prompt = required(args, "prompt");
  request.negativePrompt = args.value("negative").value_or("");
  request.frames = args.intValue("frames", 16, 1, 4096);
  request.width = args.intValue("width", 512, 64, 4096);
  request.height = args.intValue("height", 512, 64, 4096);
  request.steps = args.intValue("steps", 25, 1, 1000);
  request.guidance = args.doubleValue("cfg", 7.5, 0, 100);
  request.numVideos = args.intValue("videos", 1, 1, 64);
  request.fps = args.doubleValue("fps", 8, 0.1, 240);
  request.clipSkip = args.intValue("clip-skip", 0, 0, 11);
  request.context.length = args.intValue("context", 16, 0, 4096);
  request.context.overlap = args.intValue("overlap", 4, 0, 4095);
  request.context.closedLoop = args.flag("loop");
  request.motionScale = args.doubleValue("motion-scale", 0, -10, 10);
  const uint64_t randomSeed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  request.seed = parseSeed(args, randomSeed);
  try {
    request.sampler = diffusion::parseSamplerName(args.value("scheduler").value_or("ddim"));
  } catch (const ConfigError& e) {
    throw UsageError(std::string("--scheduler: ") + e.what());
  }
  diffusion::SchedulerConfig scheduler = diffusion::animateDiffSchedulerConfig(request.sampler);
  scheduler.karrasSigmas = args.flag("karras");
  scheduler.eta = args.doubleValue("eta", 0, 0, 1);
  scheduler.prediction = parsePrediction(args.value("prediction").value_or("epsilon"));
  if (scheduler.karrasSigmas && request.sampler == diffusion::SamplerKind::DDIM)
    throw UsageError("--karras works with euler, euler-a and dpmpp-2m, not ddim");
  if (scheduler.eta > 0 && request.sampler != diffusion::SamplerKind::DDIM)
    throw UsageError("--eta works with ddim only");
  request.scheduler = scheduler;
  try {
    request.validate();
  } catch (const ConfigError& e) {
    throw UsageError(e.what());
  }

  video::quietFfmpegLogs();
  const jobs::JobListener listener = stderrProgress(args.flag("quiet"));
  jobs::JobContext job(listener, cancel);
  // The same compute worker the Studio uses, for one job.
  worker::ComputeWorker computeWorker(args.value("device").value_or("auto"));
  const worker::GenerateJob generate{sources, args.value("dtype").value_or("auto"), request};
  worker::GeneratedVideos result;
  worker::JobSpec spec;
  spec.title = "generate";
  spec.cancel = cancel;
  spec.listener = listener;
  spec.work = [&](pipelines::ModelCache& models, jobs::JobContext& context) {
    result = worker::runGenerate(models, generate, context);
  };
  worker::runAndWait(computeWorker, std::move(spec));

  for (int v = 0; v < request.numVideos; ++v) {
    const std::string path = outputPath(out, v, request.numVideos);
    video::WriteOptions write;
    write.cancel = job.cancelToken()->flag();
    job.beginStage("writing", request.frames);
    write.onProgress = [&job](int done, int) { job.progress(done); };
    video::writeVideo(path, result.clips[static_cast<size_t>(v)], write);
    std::cout << path << "\n";
  }
  job.info("seed " + std::to_string(result.seed) + ", denoising " + formatDuration(result.secondsDenoising) +
           ", decoding " + formatDuration(result.secondsDecoding));
  return kExitOk;
}

}  // namespace sm::cli
