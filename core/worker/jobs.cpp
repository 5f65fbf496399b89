#include "core/worker/jobs.h"

#include "core/engine/device.h"
#include "core/pipelines/model_cache.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"
#include "core/video/video_writer.h"
#include "core/worker/memory_estimates.h"

namespace sm::worker {
namespace {

bool onGpu(const std::string& device) { return engine::selectDevice(device).is_cuda(); }

}  // namespace

control::ConditionVideo runControlPreview(const control::ControlNetUnit& unit, int frames, int width, int height,
                                          jobs::JobContext& context) {
  control::ConditionVideo video =
      control::readConditionVideo(unit, frames, width, height, context.cancelToken()->flag());
  if (!unit.preview.empty()) {
    video::WriteOptions write;
    write.cancel = context.cancelToken()->flag();
    video::writeVideo(unit.preview, video.condition, write);
    context.info("condition frames of " + unit.controlNet + " written to " + unit.preview);
  }
  return video;
}

GeneratedVideos runGenerate(pipelines::ModelCache& models, const GenerateJob& job, jobs::JobContext& context) {
  job.request.validate();  // a second, not a model load, for a mistake
  if (job.models.mergeSpatialAdapters && job.request.spatialStrength != 1.0)
    throw ConfigError(
        "merged Spatial Adapters are folded in at strength 1: turn merging off (--merge-adapters) to "
        "use spatial strength " +
        std::to_string(job.request.spatialStrength));
  if (!job.models.controlNets.empty() || !job.request.control.empty())
    throw ConfigError("runGenerate: give ControlNets as GenerateJob::controlNets (with their driving videos)");
  for (const control::ControlNetUnit& unit : job.controlNets) unit.validate();
  util::requireMemory(estimateGeneration(job), "this generation", freeMemory(models.device().is_cuda()), job.force);

  // The driving videos before any model: a video that does not decode or is too short fails in a second.
  GeneratedVideos out;
  pipelines::ModelSet modelSet = job.models;
  pipelines::GenerationRequest request = job.request;
  if (!job.controlNets.empty())
    context.beginStage("reading control videos", static_cast<int64_t>(job.controlNets.size()));
  for (const control::ControlNetUnit& unit : job.controlNets) {
    out.control.push_back(runControlPreview(unit, request.frames, request.width, request.height, context));
    request.control.push_back({out.control.back().condition, unit.scale, unit.start, unit.end});
    modelSet.controlNets.push_back(unit.controlNet);
    context.progress(static_cast<int64_t>(out.control.size()));
  }
  request.validate();

  pipelines::AnimateDiffPipeline& pipeline = models.pipeline(modelSet, job.dtype, context);
  context.info(models.describeEngine() + ", seed " + std::to_string(request.seed));
  const pipelines::GenerationResult result = pipeline.generate(request, context);
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
  util::requireMemory(estimateFrozenDataset(job), "this dataset build", freeMemory(onGpu(job.device)), job.force);
  return datasets::buildFrozenDataset(job, context, &models);
}

datasets::DatasetSummary runPriorDataset(pipelines::ModelCache& models, const datasets::PriorDatasetSettings& job,
                                         jobs::JobContext& context) {
  job.validate();
  util::requireMemory(estimatePriorDataset(job), "this dataset build", freeMemory(onGpu(job.device)), job.force);
  return datasets::buildPriorDataset(job, context, &models);
}

training::TrainingSummary runMotionAdapterTraining(pipelines::ModelCache& models,
                                                   const training::MotionAdapterTrainingSettings& job,
                                                   jobs::JobContext& context) {
  training::validate(job);
  util::requireMemory(estimateTraining(job, job.dataset), "this training", freeMemory(onGpu(job.device)), job.force);
  models.clear();
  return training::trainMotionAdapter(job, context);
}

training::TrainingSummary runSpatialAdaptersTraining(pipelines::ModelCache& models,
                                                     const training::SpatialAdaptersTrainingSettings& job,
                                                     jobs::JobContext& context) {
  training::validate(job);
  util::requireMemory(estimateTraining(job, job.customDataset), "this training", freeMemory(onGpu(job.device)),
                      job.force);
  models.clear();
  return training::trainSpatialAdapters(job, context);
}

void runAndWait(ComputeWorker& worker, JobSpec spec) {
  const JobOutcome outcome = worker.wait(worker.submit(std::move(spec)));
  if (outcome.exception) std::rethrow_exception(outcome.exception);
  if (outcome.state != JobState::Succeeded) throw std::runtime_error(outcome.error);
}

}  // namespace sm::worker
