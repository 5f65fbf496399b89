// stillmoving: the command-line face of the engine. Parses (CLI11, options
// from the settings table), runs, maps errors to the exit statuses of
// exit_codes.h; nothing else lives here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/common_options.h"
#include "app/cli/compare_command.h"
#include "app/cli/dataset_command.h"
#include "app/cli/demo_command.h"
#include "app/cli/eval_command.h"
#include "app/cli/exit_codes.h"
#include "app/cli/generate_command.h"
#include "app/cli/help_formatter.h"
#include "app/cli/inspect_command.h"
#include "app/cli/setting_options.h"
#include "app/cli/train_command.h"
#include "app/cli/usage_error.h"
#include "app/cli/world_command.h"
#include "core/engine/runtime.h"
#include "core/engine/system_report.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/staged_folder.h"
#include "core/video/ffmpeg_log.h"

namespace {

constexpr const char* kUsage = R"(usage: stillmoving [--threads N] COMMAND [ARGS]

commands:
  inspect PATH... [--json]   say what each model file or folder is: kind, variant,
                             naming, tensor and parameter counts, dtypes, metadata,
                             and whether its keys match the model's config
  generate --base PATH --motion-module PATH --prompt TEXT --out FILE
                             a text-to-video generation to MP4, GIF or PNG frames
                             (stillmoving generate --help for every option)
  dataset frozen|prior --out DIR --base PATH SOURCE
                             training data for the adapters: frozen videos from a
                             model, images or videos; prior-preservation videos
                             (stillmoving dataset frozen|prior --help)
  train motion-adapter|spatial-adapters --base PATH --motion-module PATH --dataset DIR --out FILE
                             Still-Moving training with progress, loss, checkpoints
                             and --resume (stillmoving train --help)
  demo [--out DIR] [--train]  Still-Moving against its baselines on the shipped toy
                             world: MP4s, a contact sheet and a results table
  eval VIDEO... [--prompt TEXT] [--reference-images DIR] [--evaluator toy|PATH]
                             CLIP-T, CLIP-I, motion and temporal consistency of
                             videos, per video and mean +- standard error
  compare [--config FILE] [--out DIR] [--results FILE]
                             the paper's comparison on the toy world: every method
                             and ablation trained, generated and scored, to RESULTS.md
  world images|videos|train --out DIR
                             the toy world: samples with captions, or retrain its
                             models from nothing (stillmoving world --help)
  version [--verbose]        print the version; --verbose: LibTorch, the CPU's features
                             found at run time, the precision --dtype auto picks, CUDA
)";

constexpr const char* kExitStatus = R"(
exit status: 0 success; 1 internal error (a bug: please report it); 2 bad
command line or setting, or a refused request; 3 an input file or folder is
missing, unreadable, broken or of the wrong kind; 4 not enough memory, the
output cannot be written, or another build holds the folder; 130 cancelled
)";

// A progress bar may be drawn on a terminal: errors start on a clean line.
const char* clearLine() { return isatty(STDERR_FILENO) ? "\r\033[K" : ""; }

// Ctrl-C asks the running job to stop at its next step; a second one kills.
std::shared_ptr<sm::jobs::CancelToken> gCancel;

extern "C" void onInterrupt(int) {
  if (gCancel->cancelled()) std::_Exit(sm::cli::kExitCancelled);
  gCancel->cancel();  // a lock-free atomic store: safe in a signal handler
}

std::shared_ptr<sm::jobs::CancelToken> cancelOnInterrupt() {
  gCancel = std::make_shared<sm::jobs::CancelToken>();
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  return gCancel;
}

// CLI11's own mistakes (an option without its value) as one line.
std::string parseErrorMessage(const CLI::ParseError& e) {
  const std::string what = e.what();
  const auto colon = what.find(':');
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && what.rfind("--", 0) == 0 && colon != std::string::npos)
    return "option '" + what.substr(0, colon) + "' needs a value";
  return what;
}

int run(int argc, char** argv) {
  using namespace sm::cli;
  CLI::App root("", "stillmoving");
  setHelp(root, kUsage, sm::settings::bit(sm::settings::Command::Global), kExitStatus);
  root.allow_extras();
  root.require_subcommand(0, 1);
  const SettingOptions global(root, sm::settings::Command::Global);
  const InspectCommand inspect(root);
  const GenerateCommand generate(root);
  const DatasetCommand dataset(root);
  const TrainCommand train(root);
  const WorldCommand world(root);
  const DemoCommand demo(root);
  const EvalCommand eval(root);
  const CompareCommand compare(root);
  CLI::App* version = root.add_subcommand("version");
  bool verbose = false;
  version->add_flag("--verbose", verbose);
  setHelp(*version,
          "usage: stillmoving version [--verbose]\n\nPrints the version; with --verbose also LibTorch's, the CPU's "
          "features found at run time, the threads, the precision --dtype auto picks on the CPU, and CUDA.\n",
          0);
  CLI::App* help = root.add_subcommand("help");
  setHelp(*help, kUsage, 0);
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << root.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    throw UsageError(parseErrorMessage(e));
  }

  const std::vector<std::string> rest = root.remaining();
  if (!rest.empty() && rest[0].rfind("-", 0) != 0) {
    // One line: the mistake, then the usage, which helps with a wrong command.
    std::cerr << "stillmoving: unknown command '" << rest[0] << "'\n\n" << root.help();
    return kExitUsage;
  }
  refuseExtras(root);
  global.check();
  if (help->parsed() || root.get_subcommands().empty()) {
    std::cout << root.help();
    return help->parsed() ? kExitOk : kExitUsage;
  }
  sm::engine::configureThreads(global.integer("threads"));
  sm::video::routeFfmpegLogs();  // warnings only: x264's statistics on every video are not the user's business
  try {
    if (inspect.chosen()) return runInspect(inspect.parse());
    if (generate.chosen()) return runGenerate(generate.parse(), cancelOnInterrupt());
    if (dataset.chosen()) return runDataset(dataset.parse(), cancelOnInterrupt());
    if (train.chosen()) return runTrain(train.parse(), cancelOnInterrupt());
    if (world.chosen()) return runWorld(world.parse(), cancelOnInterrupt());
    if (demo.chosen()) return runDemo(demo.parse(), cancelOnInterrupt());
    if (eval.chosen()) return runEval(eval.parse(), cancelOnInterrupt());
    if (compare.chosen()) return runCompare(compare.parse(), cancelOnInterrupt());
  } catch (const HelpRequest& request) {
    std::cout << request.text;
    return request.status;
  }
  if (version->parsed())
    std::cout << "stillmoving " << SM_VERSION << "\n" << (verbose ? sm::engine::describeSystem() : "");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sm::cli;
  // The most specific first: each error type says whose problem it is.
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "stillmoving: " << e.what() << "\n";
    return kExitUsage;
  } catch (const sm::Cancelled&) {
    std::cerr << clearLine() << "stillmoving: cancelled\n";
    return kExitCancelled;
  } catch (const sm::OutOfMemoryError& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return kExitResources;
  } catch (const sm::util::FileWriteError& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return kExitResources;
  } catch (const sm::util::FolderBusyError& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return kExitResources;
  } catch (const std::bad_alloc&) {
    std::cerr << clearLine()
              << "stillmoving: error: out of memory: lower the size, frames or batch, or close other programs\n";
    return kExitResources;
  } catch (const sm::ConfigError& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const sm::Error& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << clearLine() << "stillmoving: internal error: " << e.what() << "\n";
    return kExitBug;
  }
}
