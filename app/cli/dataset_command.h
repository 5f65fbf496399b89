#pragma once
// `stillmoving dataset frozen|prior`: builds a training-data folder (cached
// latents, manifest, previews) for the Still-Moving adapters.
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"

namespace sm::cli {

/// `argv` starts with the kind (frozen, prior) or --help. Every option is
/// checked before a model loads (UsageError); progress goes to stderr, the
/// dataset folder to stdout. `cancel` is set by the SIGINT handler.
int runDataset(const std::vector<std::string>& argv, std::shared_ptr<jobs::CancelToken> cancel);

}  // namespace sm::cli
