#pragma once
// `stillmoving compare`: the paper's comparison on a toy world, to RESULTS.md.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "core/comparison/comparison_run.h"
#include "core/jobs/job.h"

namespace sm::cli {

struct CompareInvocation {
  comparison::ComparisonRequest request;
  bool quiet = false;
};

class CompareCommand {
 public:
  explicit CompareCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  CompareInvocation parse() const;

 private:
  CLI::App* app_;
  std::string config_;
  std::string out_ = "stillmoving-compare";
  std::string results_;
  bool overwrite_ = false;
  bool quiet_ = false;
};

int runCompare(const CompareInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
