#pragma once
// Images from the (customized) T2I inside a loaded AnimateDiffPipeline: the
// UNet in image mode (4-D latents, motion modules skipped) with
// classifier-free guidance as the pipeline does it, under SD 1.5's own noise
// schedule (scaled_linear), the one the T2I was trained with; the motion
// modules' "linear" schedule belongs to videos.
// ref: diffusers v0.35.2 src/diffusers/pipelines/stable_diffusion/pipeline_stable_diffusion.py (__call__)
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/diffusion/scheduler_config.h"
#include "core/jobs/job.h"
#include "core/pipelines/animatediff_pipeline.h"

namespace sm::datasets {

struct ImageSampleRequest {
  std::string prompt;
  std::string negativePrompt;
  int width = 512;   ///< a multiple of 8
  int height = 512;  ///< a multiple of 8
  int steps = 25;
  double guidance = 7.5;  ///< on when > 1
  uint64_t seed = 0;
};

/// SD 1.5's DDIM: scaled_linear betas 0.00085 to 0.012, leading spacing, steps offset 1, final alpha not 1.
diffusion::SchedulerConfig stableDiffusionSchedulerConfig();

/// Samples one image. Returns its latents [1, 4, h, w] in the pipeline's dtype
/// on its device (UNet scale). `onStep(done)` is called after each step.
/// Throws ConfigError for a bad request, sm::Cancelled between steps.
torch::Tensor sampleImageLatents(pipelines::AnimateDiffPipeline& pipeline, const ImageSampleRequest& request,
                                 jobs::JobContext& job, const std::function<void(int)>& onStep = {});

}  // namespace sm::datasets
