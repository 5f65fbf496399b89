#pragma once
// `stillmoving demo`: Still-Moving against its baselines on the shipped toy world.
#include <CLI/CLI.hpp>
#include <memory>

#include "core/jobs/job.h"
#include "core/toyworld/demo.h"

namespace sm::cli {

struct DemoInvocation {
  toyworld::DemoRequest request;
  bool quiet = false;
};

class DemoCommand {
 public:
  explicit DemoCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  DemoInvocation parse() const;

 private:
  CLI::App* app_;
  std::string out_ = "stillmoving-demo";
  std::string models_;
  bool train_ = false;
  int trainSteps_ = 150;
  int frames_ = 16;
  int steps_ = 20;
  bool quiet_ = false;
};

int runDemo(const DemoInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
