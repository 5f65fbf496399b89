#include "app/cli/generate_command.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/worker_job.h"
#include "core/diffusion/scheduler_config.h"
#include "core/util/duration.h"
#include "core/util/error.h"
#include "core/util/writable.h"
#include "core/video/video_writer.h"
#include "core/worker/jobs.h"

namespace fs = std::filesystem;

namespace sm::cli {
namespace {

constexpr const char* kGenerateUsage =
    R"(usage: stillmoving generate --base PATH --motion-module PATH --prompt TEXT --out FILE.mp4|FILE.gif|DIR
                           [options]
                           [--controlnet PATH --control-video PATH [--control-* ...]]...
)";

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
  if (ext.empty())
    util::requireWritableFolder(out);
  else
    util::requireWritableFile(out);
}

void checkPreview(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext != ".mp4" && ext != ".gif") throw UsageError("--control-preview " + path + ": write a .mp4 or .gif");
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent))
    throw UsageError("--control-preview " + path + ": folder " + parent.string() + " does not exist");
  util::requireWritableFile(path);
}

// Each --controlnet starts a group; the --control-* options after it, up to the next
// --controlnet, are its own (CLI11's parse order gives the sequence of occurrences).
std::vector<control::ControlNetUnit> parseControlGroups(const CLI::App& app, const SettingOptions& options) {
  std::vector<control::ControlNetUnit> units;
  std::map<std::string, size_t> occurrence;
  std::set<std::string> givenInGroup;
  for (const CLI::Option* option : app.parse_order()) {
    std::string key = option->get_name();
    key.erase(0, key.find_first_not_of('-'));
    if (key != "controlnet" && key.rfind("control-", 0) != 0) continue;
    const size_t index = occurrence[key]++;
    if (key == "controlnet") {
      units.emplace_back();
      units.back().controlNet = options.values("controlnet").at(index);
      givenInGroup.clear();
      continue;
    }
    if (units.empty())
      throw UsageError("--" + key +
                       " belongs to a ControlNet: give --controlnet PATH before it (each --controlnet "
                       "starts a group of --control-* options)");
    control::ControlNetUnit& unit = units.back();
    if (!givenInGroup.insert(key).second)
      throw UsageError("--" + key + " is given twice for --controlnet " + unit.controlNet +
                       ": each group takes it once (repeat --controlnet for another ControlNet)");
    if (key == "control-loop") {
      unit.loop = true;
      continue;
    }
    const std::string value = options.values(key).at(index);
    if (key == "control-video") {
      unit.video = value;
    } else if (key == "control-type") {
      options.requireChoiceOf(key, value);
      unit.preprocessor.type = control::parseControlType(value);
    } else if (key == "control-low") {
      unit.preprocessor.low = options.numberOf(key, value);
    } else if (key == "control-high") {
      unit.preprocessor.high = options.numberOf(key, value);
    } else if (key == "control-scale") {
      unit.scale = options.numberOf(key, value);
    } else if (key == "control-start") {
      unit.start = options.numberOf(key, value);
    } else if (key == "control-end") {
      unit.end = options.numberOf(key, value);
    } else if (key == "control-stride") {
      unit.stride = static_cast<int>(options.numberOf(key, value));
    } else if (key == "control-preview") {
      checkPreview(value);
      unit.preview = value;
    } else {
      throw UsageError("--" + key + " is not an option of generate");
    }
  }
  for (control::ControlNetUnit& unit : units) {
    requireExists("controlnet", unit.controlNet);
    if (unit.video.empty())
      throw UsageError("--controlnet " + unit.controlNet +
                       " needs its driving video: add --control-video PATH after it");
    requireExists("control-video", unit.video);
    try {
      unit.validate();
    } catch (const ConfigError& e) {
      throw UsageError(std::string(e.what()) + " (--controlnet " + unit.controlNet + ")");
    }
  }
  return units;
}

}  // namespace

GenerateCommand::GenerateCommand(CLI::App& root)
    : app_(root.add_subcommand("generate")), options_(*app_, settings::Command::Generate) {
  setHelp(*app_, kGenerateUsage, settings::bit(settings::Command::Generate));
  app_->allow_extras();
}

GenerateInvocation GenerateCommand::parse() const {
  const SettingOptions& options = options_;
  refuseExtras(*app_);
  options.check();

  GenerateInvocation invocation;
  pipelines::ModelSet& sources = invocation.sources;
  sources.base = options.required("base");
  sources.motionModule = options.required("motion-module");
  requireExists("base", sources.base);
  requireExists("motion-module", sources.motionModule);
  sources.custom = existingPath(options, "custom").value_or("");
  sources.tokenizer = existingPath(options, "tokenizer").value_or("");
  for (const auto& spec : options.values("lora")) sources.loras.push_back(parseLoRA(spec));
  if (options.given("interpolate")) {
    if (sources.custom.empty()) throw UsageError("--interpolate blends the base with --custom: give --custom too");
    sources.interpolation = static_cast<float>(options.real("interpolate"));
  }
  sources.motionAdapter = existingPath(options, "motion-adapter").value_or("");
  sources.spatialAdapters = existingPath(options, "spatial-adapters").value_or("");
  sources.mergeSpatialAdapters = options.flag("merge-adapters");
  if (sources.mergeSpatialAdapters && sources.spatialAdapters.empty())
    throw UsageError("--merge-adapters merges --spatial-adapters: give them too");
  invocation.out = options.required("out");
  checkOutput(invocation.out);

  pipelines::GenerationRequest& request = invocation.request;
  request.prompt = options.required("prompt");
  request.negativePrompt = options.value("negative").value_or("");
  request.frames = options.integer("frames");
  request.width = options.integer("width");
  request.height = options.integer("height");
  request.steps = options.integer("steps");
  request.guidance = options.real("cfg");
  request.numVideos = options.integer("videos");
  request.fps = options.real("fps");
  request.clipSkip = options.integer("clip-skip");
  request.context.length = options.integer("context");
  request.context.overlap = options.integer("overlap");
  request.context.closedLoop = options.flag("loop");
  request.motionScale = options.real("motion-scale");
  request.spatialStrength = options.real("spatial-strength");
  const uint64_t randomSeed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  request.seed = options.seed("seed", randomSeed);
  request.sampler = diffusion::parseSamplerName(options.choice("scheduler"));
  diffusion::SchedulerConfig scheduler = diffusion::animateDiffSchedulerConfig(request.sampler);
  scheduler.karrasSigmas = options.flag("karras");
  scheduler.eta = options.real("eta");
  scheduler.prediction =
      options.choice("prediction") == "v" ? diffusion::PredictionType::VPrediction : diffusion::PredictionType::Epsilon;
  if (scheduler.karrasSigmas && request.sampler == diffusion::SamplerKind::DDIM)
    throw UsageError("--karras works with euler, euler-a and dpmpp-2m, not ddim");
  if (scheduler.eta > 0 && request.sampler != diffusion::SamplerKind::DDIM)
    throw UsageError("--eta works with ddim only");
  request.scheduler = scheduler;
  invocation.controlNets = parseControlGroups(*app_, options);
  try {
    request.validate();
  } catch (const ConfigError& e) {
    throw UsageError(e.what());
  }
  invocation.device = options.choice("device");
  invocation.dtype = options.choice("dtype");
  invocation.quiet = options.flag("quiet");
  invocation.force = options.flag("force");
  invocation.sources.acceptForeignAdapters = invocation.force;
  return invocation;
}

int runGenerate(const GenerateInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  const pipelines::ModelSet& sources = invocation.sources;
  const pipelines::GenerationRequest& request = invocation.request;
  const std::string& out = invocation.out;
  const jobs::JobListener listener = stderrProgress(invocation.quiet);
  jobs::JobContext job(listener, cancel);
  // The same compute worker the Studio uses, for one job.
  const worker::GenerateJob generate{sources, invocation.dtype, request, invocation.controlNets, invocation.force};
  worker::GeneratedVideos result;
  runOnWorker(invocation.device, "generate", listener, cancel,
              [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                result = worker::runGenerate(models, generate, context);
              });

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
