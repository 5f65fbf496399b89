#pragma once
// The models a compute worker keeps loaded. Asked for a pipeline for a set of
// model files, it reuses whatever stays the same and redoes only what changed:
//   - the base video model (SD 1.5 + motion module + tokenizer, at a device and
//     dtype): loaded once while it stays selected;
//   - the customization of its weights (customized model, interpolation, LoRAs
//     with strengths, merged Spatial Adapters): undone by restoring the base's
//     weights from its still-mapped file, then redone;
//   - the adapters kept as hooks (Motion Adapter, unmerged Spatial Adapters):
//     detached and attached;
//   - the ControlNets: separate networks, loaded while they stay selected.
// Per-request settings (prompt, seed, motion scale, Spatial Adapter strength)
// never reach the cache: a second generation that changes only those reloads nothing.
#include <memory>
#include <string>

#include "core/jobs/job.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/model_set.h"
#include "core/pipelines/pipeline_loading.h"

namespace sm::pipelines {

class ModelCache {
 public:
  /// `device`: the worker's device (auto|cpu|cuda, engine::selectDevice's words).
  explicit ModelCache(const std::string& device = "auto");
  ~ModelCache();
  ModelCache(const ModelCache&) = delete;
  ModelCache& operator=(const ModelCache&) = delete;

  /// The pipeline for `models` in `dtype` (auto|fp32|fp16|bf16), loading and
  /// customizing only what differs from the last call. On an error the cache
  /// is emptied (the next call starts afresh) and the error propagates.
  AnimateDiffPipeline& pipeline(const ModelSet& models, const std::string& dtype, jobs::JobContext& job);

  /// Frees every loaded model (before a job that loads its own, such as training).
  void clear();
  torch::Device device() const { return device_; }
  /// "cpu, fp32" for status bars; "" when nothing is loaded.
  std::string describeEngine() const;

  /// How often each stage ran since construction: what tests and the Studio's status read.
  struct Counters {
    int baseLoads = 0;
    int customizations = 0;
    int adapterAttachments = 0;
    int controlNetLoads = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  torch::Device device_;
  BasePipeline base_;
  std::string baseKey_;
  std::string customizationKey_;
  std::string adaptersKey_;
  std::string controlKey_;
  Counters counters_;
};

}  // namespace sm::pipelines
