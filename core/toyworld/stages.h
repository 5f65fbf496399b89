#pragma once
// The stages of `stillmoving world train`, in order. Each reads what the earlier
// stages left in the WorldFolder, trains (resumably), measures, and writes its
// weights and then its record; a stage whose record exists is skipped.
#include <cstdint>

#include "core/jobs/job.h"
#include "core/toyworld/stage_files.h"

namespace sm::toyworld {

struct StageOptions {
  /// Multiplies every stage's step count (1: the shipped models; tests use tiny values).
  double stepScale = 1.0;
};

int64_t scaledSteps(int64_t steps, const StageOptions& options);

/// AutoencoderKL on world pictures (L1 + L2 reconstruction, small KL), then its
/// latents rescaled so SD's scaling factor 0.18215 gives them unit variance.
void trainVaeStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// The CLIP text encoder and the T2I UNet together, from nothing, on captioned
/// pictures (10% of captions dropped for classifier-free guidance), VAE frozen.
void trainTextToImageStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// AnimateDiff's recipe: motion modules (v3 layout, zero-initialised outputs)
/// trained on captioned world videos with the T2I and text encoder frozen.
void trainEvaluatorStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// The object ("a sks toy") as a full UNet fine-tune; the style ("in sks style") as a kohya LoRA.
void trainObjectStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
void trainStyleStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
void trainMotionModuleStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);

}  // namespace sm::toyworld
