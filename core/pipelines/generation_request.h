#pragma once
// What a text-to-video generation is asked to do, and its checks. validate()
// runs before any model loads, so nonsense is refused in a second with a
// message naming the parameter.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/adapters/adapter_scales.h"
#include "core/diffusion/scheduler_config.h"
#include "core/pipelines/context_windows.h"
#include "core/video/video_frames.h"

namespace sm::pipelines {

/// What one ControlNet of the model set is given for a request.
struct ControlInput {
  /// The condition frames, one per generated frame, at the generation's size,
  /// RGB; the ControlNet sees them divided by 255 (control::readConditionVideo makes them).
  video::VideoClip condition;
  /// The residuals' multiplier, and the fractions of the steps the ControlNet acts in.
  double scale = 1.0;
  double start = 0.0;
  double end = 1.0;
};

struct GenerationRequest {
  std::string prompt;
  /// "" is the unconditional half of classifier-free guidance, as in diffusers.
  std::string negativePrompt;
  int frames = 16;
  int width = 512;   ///< pixels, a multiple of 8
  int height = 512;  ///< pixels, a multiple of 8
  int steps = 25;
  /// Classifier-free guidance scale; guidance is on when > 1 (both halves in one batch).
  double guidance = 7.5;
  /// Same seed, same settings, same device: the same video (bit for bit on the CPU).
  uint64_t seed = 0;
  /// Videos made from this prompt in one call, sharing the text embedding.
  int numVideos = 1;
  double fps = 8.0;
  diffusion::SamplerKind sampler = diffusion::SamplerKind::DDIM;
  /// The sampler's settings; AnimateDiff's (animateDiffSchedulerConfig) when absent.
  std::optional<diffusion::SchedulerConfig> scheduler;
  /// Text-encoder layers to skip from the end (diffusers' clip_skip).
  int clipSkip = 0;
  /// Sliding windows for long videos; length is clamped to what the motion module accepts.
  ContextOptions context;
  /// The Motion Adapter's scale a (the motion slider), for adapters of kind Motion.
  /// 0 is the original motion; 1 what it was trained at (static); < 0 more motion.
  double motionScale = 0.0;
  /// The Spatial Adapters' strength: 1 as trained, 0 off (unmerged adapters only).
  double spatialStrength = 1.0;
  /// Frames the VAE decodes at once (diffusers' decode_chunk_size).
  int decodeChunk = 16;
  /// One per ControlNet of the model set (ModelSet::controlNets), in its order.
  std::vector<ControlInput> control;

  /// The effective sampler settings.
  diffusion::SchedulerConfig schedulerConfig() const;
  bool usesGuidance() const { return guidance > 1.0; }
  /// The adapters' scales for this request's UNet calls.
  adapters::AdapterScales adapterScales() const { return {motionScale, spatialStrength}; }
  /// Throws ConfigError naming the first parameter out of range (the ranges
  /// of settings::settingsOf(Command::Generate)).
  void validate() const;
};

}  // namespace sm::pipelines
