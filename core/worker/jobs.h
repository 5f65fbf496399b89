#pragma once
// The jobs a compute worker runs, as value-type requests copied at submit time
// (the Studio can go on editing), and the functions that run them on the
// worker's thread with its models. LibTorch-free: the CLI and the Studio both
// queue these through ComputeWorker.
#include <cstdint>
#include <string>
#include <vector>

#include "core/control/control_unit.h"
#include "core/control/driving_video.h"
#include "core/datasets/dataset_jobs.h"
#include "core/jobs/job.h"
#include "core/pipelines/generation_request.h"
#include "core/pipelines/model_set.h"
#include "core/training/training_settings.h"
#include "core/video/video_frames.h"
#include "core/worker/compute_worker.h"

namespace sm::worker {

/// A text-to-video generation: which models, in which precision, and the request.
struct GenerateJob {
  pipelines::ModelSet models;
  /// auto|fp32|fp16|bf16 (the worker's device decides what auto means).
  std::string dtype = "auto";
  /// The request; its `control` inputs are made from `controlNets` by runGenerate.
  pipelines::GenerationRequest request;
  /// ControlNets with their driving videos (their residuals are summed).
  std::vector<control::ControlNetUnit> controlNets;
  /// Run although the memory estimate exceeds the free memory.
  bool force = false;
};

struct GeneratedVideos {
  std::vector<video::VideoClip> clips;  ///< one per requested video, 8-bit
  /// Per ControlNet: its driving frames as used and the condition frames it saw.
  std::vector<control::ConditionVideo> control;
  uint64_t seed = 0;
  double secondsDenoising = 0.0;
  double secondsDecoding = 0.0;
};

/// Validates the request, reads and preprocesses the driving videos (writing
/// their previews), loads what the worker's cache lacks, generates. Bad input
/// fails before any model loads. Throws ConfigError, InputError, VideoIOError,
/// CheckpointError, OutOfMemoryError, sm::Cancelled.
GeneratedVideos runGenerate(pipelines::ModelCache& models, const GenerateJob& job, jobs::JobContext& context);

/// The condition video of one ControlNet for a generation of `frames` frames at
/// width x height, as runGenerate makes it (for the Studio's preview; writes
/// unit.preview when set).
control::ConditionVideo runControlPreview(const control::ControlNetUnit& unit, int frames, int width, int height,
                                          jobs::JobContext& context);

/// Dataset builds sample through the worker's cached models (on the device the
/// settings name; another device frees them first). Training loads fp32 master
/// weights of its own: the cached models are freed first, so that two sets
/// never share the device.
datasets::DatasetSummary runFrozenDataset(pipelines::ModelCache& models, const datasets::FrozenDatasetSettings& job,
                                          jobs::JobContext& context);
datasets::DatasetSummary runPriorDataset(pipelines::ModelCache& models, const datasets::PriorDatasetSettings& job,
                                         jobs::JobContext& context);
training::TrainingSummary runMotionAdapterTraining(pipelines::ModelCache& models,
                                                   const training::MotionAdapterTrainingSettings& job,
                                                   jobs::JobContext& context);
training::TrainingSummary runSpatialAdaptersTraining(pipelines::ModelCache& models,
                                                     const training::SpatialAdaptersTrainingSettings& job,
                                                     jobs::JobContext& context);

/// Queues `work` on `worker` and waits for it; rethrows the job's exception
/// (sm::Cancelled when cancelled). For callers with nothing else to do (the CLI).
void runAndWait(ComputeWorker& worker, JobSpec spec);

}  // namespace sm::worker
