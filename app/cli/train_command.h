#pragma once
// `stillmoving train motion-adapter|spatial-adapters`: the Still-Moving training.
#include <CLI/CLI.hpp>
#include <memory>
#include <variant>

#include "app/cli/setting_options.h"
#include "core/jobs/job.h"
#include "core/training/training_settings.h"

namespace sm::cli {

/// What the command line asks `train` to do, checked.
struct TrainInvocation {
  std::variant<training::MotionAdapterTrainingSettings, training::SpatialAdaptersTrainingSettings> settings;
  bool quiet = false;
};

class TrainCommand {
 public:
  /// Adds `train` with `motion-adapter` and `spatial-adapters` to `root`.
  explicit TrainCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  /// Checks every option before any model loads (UsageError naming it).
  TrainInvocation parse() const;

 private:
  CLI::App* app_;
  CLI::App* motionApp_;
  CLI::App* spatialApp_;
  SettingOptions motion_;
  SettingOptions spatial_;
};

/// Trains: progress and loss on stderr, the adapter file on stdout.
int runTrain(const TrainInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
