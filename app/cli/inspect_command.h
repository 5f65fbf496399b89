#pragma once
// `stillmoving inspect PATH... [--json]`: what each model file or folder is.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace sm::cli {

struct InspectInvocation {
  std::vector<std::string> paths;
  bool json = false;
};

class InspectCommand {
 public:
  /// Adds `inspect` to `root`.
  explicit InspectCommand(CLI::App& root);
  bool chosen() const { return app_->parsed(); }
  /// UsageError without a path or with an unknown option.
  InspectInvocation parse() const;

 private:
  CLI::App* app_;
  std::vector<std::string> paths_;
  bool json_ = false;
};

/// Describes each path (one line on stderr per broken one); returns the exit status.
int runInspect(const InspectInvocation& invocation);

}  // namespace sm::cli
