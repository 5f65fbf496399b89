#include "core/pipelines/generation_request.h"

#include <cmath>
#include <string>

#include "core/diffusion/scheduler.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

void requireRange(const char* name, double value, double min, double max) {
  if (!std::isfinite(value) || value < min || value > max) {
    std::string v = std::isfinite(value) ? std::to_string(value) : "not a finite number";
    throw ConfigError(std::string(name) + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                      "], got " + v);
  }
}

void requireIntRange(const char* name, int value, int min, int max) {
  if (value < min || value > max)
    throw ConfigError(std::string(name) + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                      "], got " + std::to_string(value));
}

void requireSize(const char* name, int pixels) {
  requireIntRange(name, pixels, 8, 4096);
  if (pixels % 8 != 0)
    throw ConfigError(std::string(name) + " must be a multiple of 8 (the VAE's factor), got " + std::to_string(pixels) +
                      "; try " + std::to_string(pixels / 8 * 8) + " or " + std::to_string((pixels / 8 + 1) * 8));
}

}  // namespace

diffusion::SchedulerConfig GenerationRequest::schedulerConfig() const {
  return scheduler ? *scheduler : diffusion::animateDiffSchedulerConfig(sampler);
}

void GenerationRequest::validate() const {
  requireIntRange("frames", frames, 1, 4096);
  requireSize("width", width);
  requireSize("height", height);
  requireIntRange("steps", steps, 1, schedulerConfig().schedule.numTrainTimesteps);
  requireRange("guidance (cfg)", guidance, 0.0, 100.0);
  requireIntRange("number of videos", numVideos, 1, 64);
  requireRange("fps", fps, 0.1, 240.0);
  requireIntRange("clip skip", clipSkip, 0, 11);
  requireRange("motion scale", motionScale, -10.0, 10.0);
  requireRange("spatial strength", spatialStrength, 0.0, 2.0);
  requireIntRange("decode chunk", decodeChunk, 1, 4096);
  requireIntRange("context length", context.length, 0, 4096);
  if (context.length > 0) requireIntRange("context overlap", context.overlap, 0, context.length - 1);
}

}  // namespace sm::pipelines
