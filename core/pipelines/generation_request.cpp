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
  for (size_t k = 0; k < control.size(); ++k) {
    const ControlInput& c = control[k];
    const std::string which = "ControlNet " + std::to_string(k + 1);
    requireInRange(kGenerate, "control-scale", c.scale);
    requireInRange(kGenerate, "control-start", c.start);
    requireInRange(kGenerate, "control-end", c.end);
    if (c.start >= c.end) throw ConfigError(which + ": control start must be below control end");
    if (static_cast<int>(c.condition.frames.size()) != frames)
      throw ConfigError(which + ": " + std::to_string(c.condition.frames.size()) + " condition frames for " +
                        std::to_string(frames) + " video frames");
    for (const video::Frame& f : c.condition.frames)
      if (f.width != width || f.height != height || f.rgb.size() != static_cast<size_t>(width) * height * 3)
        throw ConfigError(which + ": condition frames of " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                          " for a " + std::to_string(width) + "x" + std::to_string(height) + " video");
  }
}

}  // namespace sm::pipelines
