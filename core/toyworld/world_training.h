#pragma once
// `stillmoving world train`: every toy-world model from nothing, stage by stage,
// resumable (a finished stage is skipped, a running one continues from its checkpoint).
#include <filesystem>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/toyworld/stages.h"

namespace sm::toyworld {

/// The stage names in training order.
const std::vector<std::string>& worldStageNames();

struct WorldTrainingRequest {
  std::filesystem::path workDir;
  /// Run only these (and skip the rest); empty: all, in order.
  std::vector<std::string> only;
  StageOptions options;
};

/// Throws ConfigError for an unknown stage name, sm::Cancelled when cancelled.
void trainWorld(const WorldTrainingRequest& request, pipelines::ModelCache& models, jobs::JobContext& job);

}  // namespace sm::toyworld
