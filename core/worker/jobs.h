#pragma once
// The jobs a compute worker runs, as value-type requests copied at submit time
// (the Studio can go on editing), and the functions that run them on the
// worker's thread with its models. LibTorch-free: the CLI and the Studio both
// queue these through ComputeWorker.
#include <cstdint>
#include <string>
#include <vector>

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
  pipelines::GenerationRequest request;
  /// Run although the memory estimate exceeds the free memory.
  bool force = false;
};

struct GeneratedVideos {
  std::vector<video::VideoClip> clips;  ///< one per requested video, 8-bit
  uint64_t seed = 0;
  double secondsDenoising = 0.0;
  double secondsDecoding = 0.0;
};

/// Validates the request, loads what the worker's cache lacks, generates.
/// Throws ConfigError, CheckpointError, OutOfMemoryError, sm::Cancelled.
GeneratedVideos runGenerate(pipelines::ModelCache& models, const GenerateJob& job, jobs::JobContext& context);

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
