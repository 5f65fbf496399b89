#pragma once
// The stages of `stillmoving world train`, in order. Each reads what the earlier
// stages left in the WorldFolder, trains (resumably), measures, and writes its
// weights and then its record; a stage whose record exists is skipped.
#include <cstdint>

#include "core/jobs/job.h"
#include "core/toyworld/customizations.h"
#include "core/toyworld/stage_files.h"
#include "core/toyworld/toy_model_files.h"
#include "core/training/training_settings.h"

namespace sm::pipelines {
class ModelCache;
}

namespace sm::toyworld {

struct StageOptions {
  /// Multiplies every stage's step count (1: the shipped models; tests use tiny
  /// values); below 1 also the report's sample sizes.
  double stepScale = 1.0;
  /// The compute worker's models, for the stages built on the worker's jobs
  /// (datasets, Motion and Spatial Adapter training). Required by those.
  pipelines::ModelCache* models = nullptr;
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
/// The trained models in the formats artists have, into root/models: base/
/// (diffusers), base.safetensors (LDM single file), motion_module/ (diffusers
/// MotionAdapter), toy_object.safetensors (LDM naming, UNet only), sks_style_lora.safetensors
/// (kohya), evaluator/, references/ (the customizations' five pictures each).
void exportModelsStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// Still-Moving on the exported files, through the worker's own jobs: the
/// Motion Adapter on frozen videos of the base, then Spatial Adapters for the
/// object and for the style (frozen videos of each + world videos as the prior).
void trainMotionAdapterStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// One Spatial Adapters training on a toy world's files (the stages' and the demo's):
/// world videos and the prior dataset in workDir (kept when there), the
/// customization's frozen dataset, then the training (resumed from checkpointDir).
struct SpatialAdapterRun {
  ToyModelFiles files;
  std::filesystem::path workDir;
  CustomizationKind kind = CustomizationKind::Object;
  int steps = 300;
  std::filesystem::path output;
  std::filesystem::path checkpointDir;
  /// False: the paper's "no Motion Adapter" ablation (frozen videos at a = 0).
  bool withMotionAdapter = true;
  /// False: the "no prior preservation" ablation (frozen videos alone).
  bool withPrior = true;
  /// Every spatial weight trained instead of Spatial Adapters: `output` is then
  /// a UNet weights file, used as a customized model (--custom).
  bool allSpatialWeights = false;
};
training::TrainingSummary trainToySpatialAdapters(const SpatialAdapterRun& run, pipelines::ModelCache& cache,
                                                  jobs::JobContext& job);
void trainObjectSpatialStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
void trainStyleSpatialStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// A canny ControlNet for the exported base (root/models/controlnet_canny):
/// initialised from the T2I UNet's encoder, trained on world pictures and
/// their canny edges with everything else frozen; measured by the held-out
/// denoising loss with and without the edges.
void trainControlNetStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// The object's Spatial Adapters trained without the Motion Adapter (the
/// ablation the report's Still-Moving motion figure is measured against), into
/// root/ablations/ (not shipped).
void trainObjectAblationStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);
/// Where that ablation's Spatial Adapters are written.
std::filesystem::path noMotionAdapterAblation(const WorldFolder& folder);

}  // namespace sm::toyworld
