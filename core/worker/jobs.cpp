#include "core/worker/jobs.h"

#include "core/pipelines/model_cache.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"

namespace sm::worker {

GeneratedVideos runGenerate(pipelines::ModelCache& models, const GenerateJob& job, jobs::JobContext& context) {
  job.request.validate();  // a second, not a model load, for a mistake
  if (job.models.mergeSpatialAdapters && job.request.spatialStrength != 1.0)
    throw ConfigError(
        "merged Spatial Adapters are folded in at strength 1: turn merging off (--merge-adapters) to "
        "use spatial strength " +
        std::to_string(job.request.spatialStrength));
  pipelines::AnimateDiffPipeline& pipeline = models.pipeline(job.models, job.dtype, context);
  context.info(models.describeEngine() + ", seed " + std::to_string(job.request.seed));
  const pipelines::GenerationResult result = pipeline.generate(job.request, context);
  GeneratedVideos out;
  out.seed = result.seed;
  out.secondsDenoising = result.secondsDenoising;
  out.secondsDecoding = result.secondsDecoding;
  for (int64_t v = 0; v < result.video.size(0); ++v)
    out.clips.push_back(pipelines::toVideoClip(result.video[v], job.request.fps));
  return out;
}

datasets::DatasetSummary runFrozenDataset(pipelines::ModelCache& models, const datasets::FrozenDatasetSettings& job,
                                          jobs::JobContext& context) {
  job.validate();
  return datasets::buildFrozenDataset(job, context, &models);
}

datasets::DatasetSummary runPriorDataset(pipelines::ModelCache& models, const datasets::PriorDatasetSettings& job,
                                         jobs::JobContext& context) {
  job.validate();
  return datasets::buildPriorDataset(job, context, &models);
}

training::TrainingSummary runMotionAdapterTraining(pipelines::ModelCache& models,
                                                   const training::MotionAdapterTrainingSettings& job,
                                                   jobs::JobContext& context) {
  training::validate(job);
  models.clear();
  return training::trainMotionAdapter(job, context);
}

training::TrainingSummary runSpatialAdaptersTraining(pipelines::ModelCache& models,
                                                     const training::SpatialAdaptersTrainingSettings& job,
                                                     jobs::JobContext& context) {
  training::validate(job);
  models.clear();
  return training::trainSpatialAdapters(job, context);
}

void runAndWait(ComputeWorker& worker, JobSpec spec) {
  const JobOutcome outcome = worker.wait(worker.submit(std::move(spec)));
  if (outcome.exception) std::rethrow_exception(outcome.exception);
  if (outcome.state != JobState::Succeeded) throw std::runtime_error(outcome.error);
}

}  // namespace sm::worker
