#pragma once
// `stillmoving generate`: a prompt to an MP4, GIF or PNG folder.
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"

namespace sm::cli {

/// Parses and checks every option before loading a model (UsageError on
/// nonsense), then loads, generates and writes. Progress on stderr; the
/// written paths on stdout. `cancel` is set by the SIGINT handler.
int runGenerate(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
