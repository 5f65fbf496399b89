#include "app/cli/dataset_command.h"

#include <filesystem>
#include <iostream>

#include "app/cli/common_options.h"
#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/worker_job.h"
#include "core/datasets/dataset_jobs.h"
#include "core/util/error.h"
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
)";

constexpr const char* kPriorUsage = R"(usage: stillmoving dataset prior --out DIR --base PATH SOURCE [options]

Prior-preservation videos: natural motion, --frames frames each.
)";

std::string existing(const SettingOptions& options, const std::string& key) {
  return existingPath(options, key).value_or("");
}

// The source among --prompt (model), --images, --videos, --generated; refuses two at once.
datasets::DatasetSource parseSource(const SettingOptions& args, bool allowModel) {
  std::vector<std::pair<std::string, datasets::DatasetSource>> given;
  if (args.given("images")) given.push_back({"--images", datasets::DatasetSource::Images});
  if (args.given("videos")) given.push_back({"--videos", datasets::DatasetSource::Videos});
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

void fillCommon(const SettingOptions& args, datasets::DatasetCommonSettings& s) {
  s.out = args.required("out");
  s.models.base = args.required("base");
  if (!fs::exists(s.models.base)) throw InputError("--base " + s.models.base + ": no such file or folder");
  s.models.custom = existing(args, "custom");
  s.models.tokenizer = existing(args, "tokenizer");
  s.models.motionModule = existing(args, "motion-module");
  for (const std::string& spec : args.values("lora")) s.models.loras.push_back(parseLoRA(spec));
  s.frames = args.integer("frames");
  s.width = args.integer("width");
  s.height = args.integer("height");
  s.seed = args.seed("seed", 0);  // datasets are reproducible by default
  s.fps = args.real("fps");
  s.prompts = args.values("prompt");
  s.negativePrompt = args.value("negative").value_or("");
  s.steps = args.integer("steps");
  s.guidance = args.real("cfg");
  s.caption = args.value("caption").value_or("");
  s.device = args.choice("device");
  s.dtype = args.choice("dtype");
  s.force = args.flag("force");
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

DatasetInvocation parseFrozen(const SettingOptions& args) {
  datasets::FrozenDatasetSettings s;
  s.source = parseSource(args, true);
  fillCommon(args, s);
  s.inputFolder = args.value(s.source == datasets::DatasetSource::Images ? "images" : "videos").value_or("");
  s.samplesPerPrompt = args.integer("samples");
  s.framesPerVideo = args.integer("frames-per-video");
  if (args.given("count") || args.given("stride"))
    throw UsageError("--count and --stride are options of dataset prior");
  validateAsUsage(s);
  return {s, args.flag("quiet")};
}

DatasetInvocation parsePrior(const SettingOptions& args) {
  datasets::PriorDatasetSettings s;
  if (args.given("images"))
    throw UsageError("a prior dataset needs motion: give --videos DIR or --generated, not --images");
  s.source = parseSource(args, false);
  fillCommon(args, s);
  s.inputFolder = args.value("videos").value_or("");
  s.count = args.integer("count");
  s.stride = args.integer("stride");
  for (const char* option : {"samples", "frames-per-video"})
    if (args.given(option)) throw UsageError(std::string("--") + option + " is an option of dataset frozen");
  validateAsUsage(s);
  return {s, args.flag("quiet")};
}

template <typename Settings, typename Build>
int build(const Settings& settings, bool quiet, std::shared_ptr<jobs::CancelToken> cancel, Build buildDataset) {
  const jobs::JobListener listener = stderrProgress(quiet);
  jobs::JobContext job(listener, cancel);
  datasets::DatasetSummary summary;
  runOnWorker(settings.device, "dataset", listener, std::move(cancel),
              [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                summary = buildDataset(models, settings, context);
              });
  const auto count = [](int n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  job.info(count(summary.samples, datasets::datasetKindName(summary.kind) + " sample") +
           (summary.skipped > 0 ? ", " + count(summary.skipped, "input") + " skipped" : "") + "; preview " +
           summary.previewPath);
  std::cout << summary.folder << "\n";
  return kExitOk;
}

}  // namespace

DatasetCommand::DatasetCommand(CLI::App& root)
    : app_(root.add_subcommand("dataset")),
      help_(app_->add_subcommand("help")),
      frozenApp_(app_->add_subcommand("frozen")),
      priorApp_(app_->add_subcommand("prior")),
      frozen_(*frozenApp_, settings::Command::DatasetFrozen, settings::kDataset),
      prior_(*priorApp_, settings::Command::DatasetPrior, settings::kDataset) {
  setHelp(*app_, kDatasetUsage, 0);
  setHelp(*frozenApp_, kFrozenUsage, settings::bit(settings::Command::DatasetFrozen));
  setHelp(*priorApp_, kPriorUsage, settings::bit(settings::Command::DatasetPrior));
  for (CLI::App* app : {app_, frozenApp_, priorApp_}) app->allow_extras();
  app_->require_subcommand(0, 1);
}

DatasetInvocation DatasetCommand::parse() const {
  if (help_->parsed()) throw HelpRequest{kDatasetUsage, kExitOk};
  if (!frozenApp_->parsed() && !priorApp_->parsed()) {
    const std::vector<std::string> rest = app_->remaining();
    if (rest.empty()) throw HelpRequest{kDatasetUsage, kExitUsage};
    if (rest[0].rfind("-", 0) == 0) refuseExtras(*app_);
    throw UsageError("unknown dataset kind '" + rest[0] + "': use dataset frozen or dataset prior");
  }
  const bool frozen = frozenApp_->parsed();
  refuseExtras(frozen ? *frozenApp_ : *priorApp_);
  const SettingOptions& options = frozen ? frozen_ : prior_;
  options.check();
  return frozen ? parseFrozen(options) : parsePrior(options);
}

int runDataset(const DatasetInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  if (const auto* frozen = std::get_if<datasets::FrozenDatasetSettings>(&invocation.settings))
    return build(*frozen, invocation.quiet, std::move(cancel), worker::runFrozenDataset);
  return build(std::get<datasets::PriorDatasetSettings>(invocation.settings), invocation.quiet, std::move(cancel),
               worker::runPriorDataset);
}

}  // namespace sm::cli
