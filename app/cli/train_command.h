#pragma once
// `stillmoving train motion-adapter|spatial-adapters`: the Still-Moving training runs.
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"

namespace sm::cli {

/// Checks every option before loading a model (UsageError on nonsense), then
/// trains with progress and loss on stderr and prints the written file on
/// stdout. `cancel` (SIGINT) saves a checkpoint, then exits 130.
int runTrain(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
