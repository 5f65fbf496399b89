#pragma once
// `stillmoving eval`: CLIP-T, CLIP-I, motion and temporal consistency of videos.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/evaluation/video_evaluation.h"
#include "core/jobs/job.h"

namespace sm::cli {

struct EvalInvocation {
  evaluation::EvaluationRequest request;
  bool json = false;
  bool quiet = false;
};

class EvalCommand {
 public:
  explicit EvalCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  EvalInvocation parse() const;

 private:
  CLI::App* app_;
  std::vector<std::string> videos_;
  std::string prompt_;
  std::string references_;
  std::string evaluator_ = "toy";
  bool json_ = false;
  bool quiet_ = false;
};

int runEval(const EvalInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
