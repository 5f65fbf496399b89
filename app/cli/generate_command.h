#pragma once
// `stillmoving generate`: a prompt to an MP4, GIF or PNG folder.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/setting_options.h"
#include "core/control/control_unit.h"
#include "core/jobs/job.h"
#include "core/pipelines/generation_request.h"
#include "core/pipelines/model_set.h"

namespace sm::cli {

/// What the command line asks `generate` to do, checked.
struct GenerateInvocation {
  pipelines::ModelSet sources;
  pipelines::GenerationRequest request;
  /// One per --controlnet group, in command-line order.
  std::vector<control::ControlNetUnit> controlNets;
  std::string out;  ///< a file, or the pattern of numbered files for several videos
  std::string device = "auto";
  std::string dtype = "auto";
  bool quiet = false;
  bool force = false;  ///< run although the memory estimate exceeds the free memory
};

class GenerateCommand {
 public:
  /// Adds the `generate` subcommand and its options (from the settings table) to `root`.
  explicit GenerateCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  /// Checks every option before any model loads: a typo costs a second, not a
  /// load. Throws UsageError naming the option.
  GenerateInvocation parse() const;

 private:
  CLI::App* app_;
  SettingOptions options_;
};

/// Loads, generates and writes. Progress on stderr; the written paths on
/// stdout. `cancel` is set by the SIGINT handler.
int runGenerate(const GenerateInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
