#pragma once
// Building an AnimateDiffPipeline from files, in the three stages a model
// cache can redo separately: the base video model (SD 1.5 + motion module,
// the expensive part), the customization of its weights (injection or
// interpolation of a customized model, LoRAs, merged Spatial Adapters), and
// the adapters that stay hooks (the Motion Adapter, unmerged Spatial Adapters).
#include <string>

#include "core/adapters/model_fingerprint.h"
#include "core/io/model_opener.h"
#include "core/jobs/job.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/model_set.h"

namespace sm::pipelines {

/// The base model as loaded: the pipeline and the opened base file, which stays
/// mapped so that customized weights can be undone without reading it again.
struct BasePipeline {
  std::unique_ptr<AnimateDiffPipeline> pipeline;
  io::OpenedModel base;
  /// The base model's spatial weights before any customization: what a Motion Adapter
  /// must have been trained on (customizations on top of them are the method's use).
  adapters::Fingerprint baseSpatial;
};

/// Stage 1: base UNet + motion module, text encoder, tokenizer, VAE. Ignores
/// the customization and the adapters of `sources`. Reports kBaseLoadUnits
/// units of the caller's "loading" stage (`done` counts them).
BasePipeline loadBasePipeline(const ModelSet& sources, const PipelineLoadOptions& options, jobs::JobContext& job,
                              int* done);
inline constexpr int kBaseLoadUnits = 3;

/// Stage 2: the customized model (injected, or interpolated with
/// `sources.interpolation`) and the LoRAs at their strengths, merged into the weights.
/// Expects the pipeline's spatial and text weights to be the base's, and
/// `sources` validated (ModelSet::validate).
void applyCustomization(AnimateDiffPipeline& pipeline, const ModelSet& sources, jobs::JobContext& job, int* done);
/// Puts the base's spatial UNet and text-encoder weights back (motion modules
/// are never customized), undoing applyCustomization and merged adapters.
void restoreBaseWeights(AnimateDiffPipeline& pipeline, const io::OpenedModel& base);

/// Stage 3: the Spatial Adapters of `path`, checked against the customized
/// weights and motion modules, then folded into the weights when `merge`.
/// (A merge touches spatial layers only, so a Motion Adapter attached later
/// sees the same motion modules.)
void attachSpatialAdapters(AnimateDiffPipeline& pipeline, const std::string& path, bool merge, bool acceptForeign,
                           jobs::JobContext& job);
/// The Motion Adapter of `path`, as a hook: its scale is each request's motion scale.
/// `baseSpatial`: the loaded base's (BasePipeline::baseSpatial); an adapter trained on
/// another base is refused (or, with `acceptForeign`, attached with a warning).
void attachMotionAdapter(AnimateDiffPipeline& pipeline, const std::string& path, bool acceptForeign,
                         const adapters::Fingerprint& baseSpatial, jobs::JobContext& job);

/// Units of the "loading" stage that stage 2 reports for `sources`.
int customizationUnits(const ModelSet& sources);

}  // namespace sm::pipelines
