#pragma once
// `stillmoving dataset frozen|prior`: the Still-Moving training data.
#include <CLI/CLI.hpp>
#include <memory>
#include <variant>

#include "app/cli/setting_options.h"
#include "core/datasets/dataset_jobs.h"
#include "core/jobs/job.h"

namespace sm::cli {

/// What the command line asks `dataset` to build, checked.
struct DatasetInvocation {
  std::variant<datasets::FrozenDatasetSettings, datasets::PriorDatasetSettings> settings;
  bool quiet = false;
};

class DatasetCommand {
 public:
  /// Adds `dataset` with its kinds `frozen` and `prior` to `root`.
  explicit DatasetCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  /// Checks every option before any model loads (UsageError naming it);
  /// HelpRequest for `dataset` alone or `dataset help`.
  DatasetInvocation parse() const;

 private:
  CLI::App* app_;
  CLI::App* help_;
  CLI::App* frozenApp_;
  CLI::App* priorApp_;
  SettingOptions frozen_;
  SettingOptions prior_;
};

/// Builds the dataset: progress on stderr, the folder on stdout.
int runDataset(const DatasetInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
