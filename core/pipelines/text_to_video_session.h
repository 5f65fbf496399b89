#pragma once
// Text-to-video for callers that must not see LibTorch (the Studio's Qt code,
// whose `slots` macro clashes with it): loaded models kept between requests,
// results as 8-bit clips. Every call reports through a JobContext.
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/pipelines/generation_request.h"
#include "core/pipelines/pipeline_sources.h"
#include "core/video/video_frames.h"

namespace sm::pipelines {

class AnimateDiffPipeline;

struct GeneratedVideos {
  std::vector<video::VideoClip> clips;  ///< one per requested video
  uint64_t seed = 0;
  double secondsDenoising = 0.0;
  double secondsDecoding = 0.0;
};

class TextToVideoSession {
 public:
  TextToVideoSession();
  ~TextToVideoSession();
  TextToVideoSession(const TextToVideoSession&) = delete;
  TextToVideoSession& operator=(const TextToVideoSession&) = delete;

  /// Loads the models unless the same sources, device and dtype are loaded
  /// already. `device`: auto|cpu|cuda, `dtype`: auto|fp32|fp16|bf16 (the CLI's
  /// words). Throws ConfigError / CheckpointError / OutOfMemoryError; on error
  /// the previously loaded models are gone.
  void load(const PipelineSources& sources, const std::string& device, const std::string& dtype, jobs::JobContext& job);
  bool loaded() const { return pipeline_ != nullptr; }
  /// "cpu, fp32" for the status bar; "" when nothing is loaded.
  std::string describeEngine() const;

  /// Throws ConfigError when nothing is loaded or the request is invalid,
  /// sm::Cancelled, OutOfMemoryError.
  GeneratedVideos generate(const GenerationRequest& request, jobs::JobContext& job);

 private:
  std::unique_ptr<AnimateDiffPipeline> pipeline_;
  std::string key_;  // what is loaded: sources + device + dtype
};

}  // namespace sm::pipelines
