// stillmoving: the command-line face of the engine. Parses, runs, maps errors
// to the exit statuses of exit_codes.h; nothing else lives here.
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/cli_args.h"
#include "app/cli/dataset_command.h"
#include "app/cli/exit_codes.h"
#include "app/cli/generate_command.h"
#include "app/cli/inspect_command.h"
#include "app/cli/train_command.h"
#include "core/engine/runtime.h"
#include "core/util/error.h"

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
  version                    print the version

global options:
  --threads N   CPU threads for LibTorch (default: all physical cores)

exit status: 0 success, 1 internal error, 2 bad input or usage, 130 cancelled
)";

// A progress bar may be drawn on a terminal: errors start on a clean line.
const char* clearLine() { return isatty(STDERR_FILENO) ? "\r\033[K" : ""; }

// Ctrl-C asks the running job to stop at its next step; a second one kills.
std::shared_ptr<sm::jobs::CancelToken> gCancel;

extern "C" void onInterrupt(int) {
  if (gCancel->cancelled()) std::_Exit(sm::cli::kExitCancelled);
  gCancel->cancel();  // a lock-free atomic store: safe in a signal handler
}

// Global options come before the command; returns the index of the command.
size_t parseGlobalOptions(const std::vector<std::string>& argv, int& threads) {
  size_t i = 0;
  while (i < argv.size() && argv[i].rfind("--", 0) == 0) {
    if (argv[i] == "--help" || argv[i] == "-h") return argv.size();
    std::vector<std::string> option{argv[i]};
    if (argv[i] == "--threads" && i + 1 < argv.size()) option.push_back(argv[++i]);
    sm::cli::Args args(option, {"threads"}, {});
    threads = args.intValue("threads", 0, 1, 1024);
    ++i;
  }
  return i;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    int threads = 0;
    const size_t command = parseGlobalOptions(args, threads);
    if (command >= args.size() || args[command] == "help") {
      std::cout << kUsage;
      return command >= args.size() && !args.empty() && args[0] != "--help" && args[0] != "-h" ? sm::cli::kExitBadInput
                                                                                               : sm::cli::kExitOk;
    }
    sm::engine::configureThreads(threads);
    const std::string name = args[command];
    const std::vector<std::string> rest(args.begin() + static_cast<long>(command) + 1, args.end());
    if (name == "inspect") return sm::cli::runInspect(rest);
    if (name == "generate" || name == "dataset" || name == "train") {
      gCancel = std::make_shared<sm::jobs::CancelToken>();
      std::signal(SIGINT, onInterrupt);
      std::signal(SIGTERM, onInterrupt);
      if (name == "train") return sm::cli::runTrain(rest, gCancel);
      return name == "generate" ? sm::cli::runGenerate(rest, gCancel) : sm::cli::runDataset(rest, gCancel);
    }
    if (name == "version") {
      std::cout << "stillmoving " << SM_VERSION << "\n";
      return sm::cli::kExitOk;
    }
    throw sm::cli::UsageError("unknown command '" + name + "'");
  } catch (const sm::cli::UsageError& e) {
    // One line: the mistake; the usage only for a wrong command, where it helps.
    std::cerr << "stillmoving: " << e.what() << "\n";
    if (std::string(e.what()).rfind("unknown command", 0) == 0) std::cerr << "\n" << kUsage;
    return sm::cli::kExitBadInput;
  } catch (const sm::Cancelled&) {
    std::cerr << clearLine() << "stillmoving: cancelled\n";
    return sm::cli::kExitCancelled;
  } catch (const sm::OutOfMemoryError& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return sm::cli::kExitFailure;
  } catch (const sm::Error& e) {
    std::cerr << clearLine() << "stillmoving: error: " << e.what() << "\n";
    return sm::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "stillmoving: internal error: " << e.what() << "\n";
    return sm::cli::kExitFailure;
  }
}
