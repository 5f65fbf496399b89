#pragma once
// `stillmoving world images|videos|train`: the toy world's samples (what its
// models learned from) and the retraining of every toy model from nothing.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"

namespace sm::cli {

struct WorldInvocation {
  enum class Kind { Images, Videos, Train } kind = Kind::Images;
  std::string out;
  int64_t count = 16;
  uint64_t seed = 1;
  std::vector<std::string> stages;
  double stepScale = 1.0;
  bool quiet = false;
};

class WorldCommand {
 public:
  explicit WorldCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  WorldInvocation parse() const;

 private:
  CLI::App* app_;
  CLI::App* images_;
  CLI::App* videos_;
  CLI::App* train_;
  std::string out_;
  int64_t count_ = 16;
  uint64_t seed_ = 1;
  std::string stages_;
  double stepScale_ = 1.0;
  bool quiet_ = false;
};

int runWorld(const WorldInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
