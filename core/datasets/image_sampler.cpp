#include "core/datasets/image_sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/diffusion/scheduler.h"
#include "core/engine/memory_guard.h"

namespace sm::datasets {

diffusion::SchedulerConfig stableDiffusionSchedulerConfig() {
  diffusion::SchedulerConfig config = diffusion::animateDiffSchedulerConfig(diffusion::SamplerKind::DDIM);
  config.schedule.betaSchedule = diffusion::BetaSchedule::ScaledLinear;
  config.setAlphaToOne = false;
  return config;
}

torch::Tensor sampleImageLatents(pipelines::AnimateDiffPipeline& pipeline, const ImageSampleRequest& request,
                                 jobs::JobContext& job, const std::function<void(int)>& onStep) {
  // A one-frame request reuses the pipeline's checks, prompt encoding and seeded noise.
  pipelines::GenerationRequest video;
  video.prompt = request.prompt;
  video.negativePrompt = request.negativePrompt;
  video.frames = 1;
  video.width = request.width;
  video.height = request.height;
  video.steps = request.steps;
  video.guidance = request.guidance;
  video.seed = request.seed;
  video.scheduler = stableDiffusionSchedulerConfig();
  video.validate();
  c10::InferenceMode inference;
  const std::string what =
      "sampling an image at " + std::to_string(request.width) + "x" + std::to_string(request.height);
  return engine::guardMemory(what, pipeline.device(), [&] {
    std::unique_ptr<diffusion::Scheduler> scheduler = diffusion::makeScheduler(video.sampler, video.schedulerConfig());
    scheduler->setTimesteps(video.steps);
    const torch::Tensor embeddings = pipeline.promptEmbeddings(video);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(video.seed);
    // [1, 4, 1, h, w] -> [1, 4, h, w]: a 4-D sample puts the UNet in image mode.
    torch::Tensor latents = pipeline.initialLatents(video, generator, scheduler->initNoiseSigma()).squeeze(2);
    const bool guided = video.usesGuidance();
    const std::vector<double>& timesteps = scheduler->timesteps();
    for (size_t i = 0; i < timesteps.size(); ++i) {
      job.throwIfCancelled();
      const int step = static_cast<int>(i);
      const torch::Tensor scaled = scheduler->scaleModelInput(latents, step);
      // [negative, positive], in the UNet's dtype; the sampler's arithmetic stays in the latents'.
      const torch::Tensor input = (guided ? torch::cat({scaled, scaled}) : scaled).to(pipeline.dtype());
      const torch::Tensor t =
          torch::tensor(static_cast<float>(timesteps[i]), torch::TensorOptions().device(pipeline.device()));
      torch::Tensor noise = pipeline.unet()->forward(input, t, embeddings).to(latents.scalar_type());
      if (guided) {
        const auto halves = noise.chunk(2);
        noise = halves[0] + video.guidance * (halves[1] - halves[0]);
      }
      latents = scheduler->step(noise, step, latents, generator);
      if (onStep) onStep(step + 1);
    }
    return latents;
  });
}

}  // namespace sm::datasets
