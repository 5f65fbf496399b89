#pragma once
// The generations pinned by pinned_generation_test.cpp: a plain DDIM video, and
// one through context windows with a customized model injected, a LoRA and
// DPM-Solver++ with Karras sigmas, so that every stage of the spine is covered.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/model_cache.h"
#include "tests/pipelines/tiny_pipeline.h"

namespace sm::test {

struct PinnedCase {
  std::string name;
  pipelines::ModelSet models;
  pipelines::GenerationRequest request;
};

struct PinnedResult {
  torch::Tensor latents;  ///< [1, 4, F, h, w] float32
  torch::Tensor video;    ///< [1, F, 3, H, W] float32 in [0, 1]
};

inline std::vector<PinnedCase> pinnedCases() {
  PinnedCase plain{"ddim", tinySources(), {}};
  plain.request.prompt = "a red star bouncing on a gray background";
  plain.request.negativePrompt = "blurry";
  plain.request.frames = 8;
  plain.request.width = 64;
  plain.request.height = 64;
  plain.request.steps = 4;
  plain.request.seed = 42;

  PinnedCase custom{"dpmpp_windows_custom_lora", tinySources(), {}};
  custom.models.custom = fixture("sd15_tiny_ldm_fp16.safetensors");
  custom.models.loras = {{fixture("lora_tiny_kohya.safetensors"), 0.8f}};
  custom.request.prompt = "a photo of sks toy";
  custom.request.frames = 12;
  custom.request.width = 80;
  custom.request.height = 64;
  custom.request.steps = 3;
  custom.request.guidance = 5.0;
  custom.request.seed = 7;
  custom.request.sampler = diffusion::SamplerKind::DPMSolverPlusPlus2M;
  diffusion::SchedulerConfig scheduler = diffusion::animateDiffSchedulerConfig(custom.request.sampler);
  scheduler.karrasSigmas = true;
  custom.request.scheduler = scheduler;
  custom.request.context.length = 8;
  custom.request.context.overlap = 4;
  return {plain, custom};
}

/// The generation as the compute worker runs it today: through its model cache
/// (staged loading, customization applied to and undone from a loaded base).
inline PinnedResult runPinnedCase(const PinnedCase& c, pipelines::ModelCache& cache) {
  const pipelines::GenerationResult r = cache.pipeline(c.models, "fp32", jobs::silentJob()).generate(c.request);
  return {r.latents.to(torch::kFloat32), r.video};
}

}  // namespace sm::test
