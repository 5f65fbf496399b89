#include "core/pipelines/generation_request.h"

#include <string>

#include "core/diffusion/scheduler.h"
#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

void requireIntRange(const char* name, int value, int min, int max) {
  if (value < min || value > max)
    throw ConfigError(std::string(name) + " must be from " + std::to_string(min) + " to " + std::to_string(max) +
                      ", got " + std::to_string(value));
}

}  // namespace

diffusion::SchedulerConfig GenerationRequest::schedulerConfig() const {
  return scheduler ? *scheduler : diffusion::animateDiffSchedulerConfig(sampler);
}

void GenerationRequest::validate() const {
  using settings::requireInRange;
  constexpr auto kGenerate = settings::Command::Generate;
  requireInRange(kGenerate, "frames", frames);
  requireInRange(kGenerate, "width", width);
  requireInRange(kGenerate, "height", height);
  requireInRange(kGenerate, "steps", steps);
  // A schedule shorter than the table's maximum bounds the steps too.
  requireIntRange("steps", steps, 1, schedulerConfig().schedule.numTrainTimesteps);
  requireInRange(kGenerate, "cfg", guidance);
  requireInRange(kGenerate, "videos", numVideos);
  requireInRange(kGenerate, "fps", fps);
  requireInRange(kGenerate, "clip-skip", clipSkip);
  requireInRange(kGenerate, "motion-scale", motionScale);
  requireInRange(kGenerate, "spatial-strength", spatialStrength);
  requireIntRange("decode chunk", decodeChunk, 1, settings::kMaxFrames);
  requireInRange(kGenerate, "context", context.length);
  if (context.length > 0) requireIntRange("context overlap", context.overlap, 0, context.length - 1);
}

}  // namespace sm::pipelines
