#include "core/datasets/build_helpers.h"

#include "core/engine/device.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"

namespace sm::datasets::detail {

Engine selectEngine(const DatasetCommonSettings& settings) {
  Engine engine;
  engine.device = engine::selectDevice(settings.device);
  engine.dtype = engine::selectDtype(settings.dtype, engine.device);
  return engine;
}

DatasetManifest manifestHeader(const DatasetCommonSettings& s, DatasetKind kind, DatasetSource source,
                               const LatentEncoder& encoder) {
  DatasetManifest m;
  m.kind = kind;
  m.source = source;
  m.frames = s.frames;
  m.width = s.width;
  m.height = s.height;
  m.fps = s.fps;
  m.seed = s.seed;
  m.scalingFactor = encoder.scalingFactor();
  m.pixelsPerLatent = encoder.pixelsPerLatent();
  if (s.width % m.pixelsPerLatent != 0 || s.height % m.pixelsPerLatent != 0)
    throw ConfigError("width and height must be multiples of " + std::to_string(m.pixelsPerLatent) +
                      " for this VAE, got " + std::to_string(s.width) + "x" + std::to_string(s.height));
  m.baseModel = s.models.base;
  m.customModel = s.models.custom;
  return m;
}

PipelineLease leasePipeline(pipelines::ModelCache* cache, pipelines::ModelSet sources, const DatasetCommonSettings& s,
                            bool imageMode, jobs::JobContext& job) {
  sources.motionAdapter.clear();
  sources.spatialAdapters.clear();
  sources.mergeSpatialAdapters = false;
  PipelineLease lease;
  const Engine engine = selectEngine(s);
  if (cache && cache->device() == engine.device) {
    lease.pipeline_ = &cache->pipeline(sources, s.dtype, job);
    return lease;
  }
  if (cache) cache->clear();  // another device: never two model sets at once
  if (imageMode) sources.motionModule.clear();
  pipelines::PipelineLoadOptions options;
  options.device = engine.device;
  options.dtype = engine.dtype;
  lease.owned_ = pipelines::AnimateDiffPipeline::load(sources, options, job);
  lease.pipeline_ = lease.owned_.get();
  return lease;
}

LatentEncoder loadEncoder(const DatasetCommonSettings& settings, const Engine& engine, jobs::JobContext& job) {
  job.beginStage("loading", 1);
  // The VAE keeps the precision around the UNet (fp32 on the CPU): latents are training targets.
  LatentEncoder encoder =
      LatentEncoder::load(settings.models.base, engine.device, engine::dtypeAroundUNet(engine.dtype, engine.device));
  job.progress(1);
  return encoder;
}

void addClip(DatasetWriter& writer, LatentEncoder& encoder, DatasetSample sample, const video::VideoClip& clip) {
  const torch::Tensor latents = encoder.encode(pipelines::fromVideoClip(clip));  // [4, F, h, w]
  const bool frozen = writer.kind() == DatasetKind::Frozen;
  writer.add(std::move(sample), frozen ? latents.select(1, 0) : latents, clip);
}

torch::Tensor generateVideo(pipelines::AnimateDiffPipeline& pipeline, const DatasetCommonSettings& s,
                            const std::string& prompt, uint64_t seed, int64_t firstUnit, jobs::JobContext& job) {
  pipelines::GenerationRequest request;
  request.prompt = prompt;
  request.negativePrompt = s.negativePrompt;
  request.frames = s.frames;
  request.width = s.width;
  request.height = s.height;
  request.steps = s.steps;
  request.guidance = s.guidance;
  request.seed = seed;
  request.fps = s.fps;
  // The pipeline's own stages would restart the build's progress: fold its steps into ours.
  jobs::JobListener listener;
  listener.onProgress = [&job, firstUnit](const jobs::Progress& p) {
    if (p.stage == "denoising" && p.done > 0) job.progress(firstUnit + p.done);
  };
  listener.onLog = [&job](jobs::LogLevel level, const std::string& message) { job.log(level, message); };
  jobs::JobContext inner(listener, job.cancelToken());
  return pipeline.generate(request, inner).video[0];
}

std::optional<video::VideoClip> tryReadVideo(const std::string& path, video::ReadOptions options,
                                             const DatasetCommonSettings& s, jobs::JobContext& job) {
  options.width = s.width;
  options.height = s.height;
  options.resize = video::ResizeMode::CenterCrop;
  options.cancel = job.cancelToken()->flag();
  try {
    return video::readVideo(path, options);
  } catch (const VideoIOError& e) {
    job.warn(std::string("skipped ") + e.what());  // the message names the file
    return std::nullopt;
  }
}

uint64_t SeededRandom::below(uint64_t n) {
  TORCH_CHECK(n > 0, "SeededRandom::below: n must be > 0");
  // splitmix64: tiny, well mixed, and specified bit for bit.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) % n;
}

}  // namespace sm::datasets::detail
