// Frozen datasets: one frame per sample, from the customized T2I, the user's
// images, random frames of the user's videos, or random frames of videos the
// base T2V generates.
#include <algorithm>
#include <set>

#include "core/datasets/build_helpers.h"
#include "core/datasets/dataset_folder.h"
#include "core/datasets/image_sampler.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"

namespace sm::datasets {
namespace {

using detail::addClip;

DatasetSummary fromModel(const FrozenDatasetSettings& s, pipelines::ModelCache* cache, jobs::JobContext& job) {
  const detail::PipelineLease pipeline = detail::leasePipeline(cache, s.models, s, true, job);
  LatentEncoder encoder(pipeline->vae(), pipeline->device(), pipeline->latentDtype());
  DatasetWriter writer(s.out, detail::manifestHeader(s, DatasetKind::Frozen, DatasetSource::Model, encoder), job);
  const int64_t total = static_cast<int64_t>(s.prompts.size()) * s.samplesPerPrompt;
  job.beginStage("sampling", total * s.steps);
  for (int64_t i = 0; i < total; ++i) {
    ImageSampleRequest request;
    request.prompt = s.prompts[static_cast<size_t>(i / s.samplesPerPrompt)];
    request.negativePrompt = s.negativePrompt;
    request.width = s.width;
    request.height = s.height;
    request.steps = s.steps;
    request.guidance = s.guidance;
    request.seed = s.seed + static_cast<uint64_t>(i);  // one seed per sample: any subset can be remade
    const torch::Tensor latents =
        sampleImageLatents(*pipeline, request, job, [&](int step) { job.progress(i * s.steps + step); });
    // [1, 4, h, w] -> a one-frame video -> [1, 3, H, W]
    const torch::Tensor image = pipeline->decode(latents.unsqueeze(2), 1, jobs::silentJob())[0];
    DatasetSample sample;
    sample.prompt = request.prompt;
    sample.seed = request.seed;
    addClip(writer, encoder, sample, pipelines::toVideoClip(image, s.fps));
  }
  return writer.finish(0, "the sampled images", job);
}

DatasetSummary fromImages(const FrozenDatasetSettings& s, jobs::JobContext& job) {
  const std::vector<std::string> files = listImages(s.inputFolder);
  LatentEncoder encoder = detail::loadEncoder(s, detail::selectEngine(s), job);
  DatasetWriter writer(s.out, detail::manifestHeader(s, DatasetKind::Frozen, DatasetSource::Images, encoder), job);
  int skipped = 0;
  job.beginStage("reading", static_cast<int64_t>(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    job.throwIfCancelled();
    video::ReadOptions options;
    options.maxFrames = 1;
    const auto clip = detail::tryReadVideo(files[i], options, s, job);
    if (!clip || clip->frames.empty()) {
      ++skipped;
    } else {
      DatasetSample sample;
      sample.prompt = captionFor(files[i], s.caption);
      sample.file = files[i];
      addClip(writer, encoder, sample, *clip);
    }
    job.progress(static_cast<int64_t>(i) + 1);
  }
  return writer.finish(skipped, s.inputFolder, job);
}

// `count` distinct frame indices of a video of `frames` frames, ascending (all when fewer).
std::vector<int64_t> pickFrames(int64_t frames, int count, detail::SeededRandom& random) {
  std::set<int64_t> picked;
  if (frames <= count) {
    for (int64_t f = 0; f < frames; ++f) picked.insert(f);
  } else {
    while (static_cast<int>(picked.size()) < count)
      picked.insert(static_cast<int64_t>(random.below(static_cast<uint64_t>(frames))));
  }
  return {picked.begin(), picked.end()};
}

// Frames in `path`; 0 (after a warning naming the file) when it cannot be read.
int64_t countFrames(const std::string& path, jobs::JobContext& job) {
  try {
    const int64_t frames = video::probeVideo(path).frameCount;
    if (frames > 0) return frames;
    // The container does not say its length: decode it once, tiny, to count.
    video::ReadOptions options;
    options.width = 16;
    options.height = 16;
    options.cancel = job.cancelToken()->flag();
    const int64_t decoded = static_cast<int64_t>(video::readVideo(path, options).frames.size());
    if (decoded == 0) job.warn("skipped " + path + ": it has no frames");
    return decoded;
  } catch (const VideoIOError& e) {
    job.warn(std::string("skipped ") + e.what());
    return 0;
  }
}

DatasetSummary fromVideos(const FrozenDatasetSettings& s, jobs::JobContext& job) {
  const std::vector<std::string> files = listVideos(s.inputFolder);
  LatentEncoder encoder = detail::loadEncoder(s, detail::selectEngine(s), job);
  DatasetWriter writer(s.out, detail::manifestHeader(s, DatasetKind::Frozen, DatasetSource::Videos, encoder), job);
  detail::SeededRandom random(s.seed);
  int skipped = 0;
  job.beginStage("reading", static_cast<int64_t>(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    job.throwIfCancelled();
    const int64_t frames = countFrames(files[i], job);
    if (frames <= 0) {
      ++skipped;
      job.progress(static_cast<int64_t>(i) + 1);
      continue;
    }
    bool any = false;
    for (const int64_t frame : pickFrames(frames, s.framesPerVideo, random)) {
      video::ReadOptions options;
      options.startFrame = static_cast<int>(frame);
      options.maxFrames = 1;
      const auto clip = detail::tryReadVideo(files[i], options, s, job);
      if (!clip || clip->frames.empty()) continue;  // the container overstated its length
      DatasetSample sample;
      sample.prompt = captionFor(files[i], s.caption);
      sample.file = files[i];
      sample.frame = frame;
      addClip(writer, encoder, sample, *clip);
      any = true;
    }
    if (!any) {
      job.warn("skipped " + files[i] + ": no frame could be decoded");
      ++skipped;
    }
    job.progress(static_cast<int64_t>(i) + 1);
  }
  return writer.finish(skipped, s.inputFolder, job);
}

DatasetSummary fromGenerated(const FrozenDatasetSettings& s, pipelines::ModelCache* cache, jobs::JobContext& job) {
  const detail::PipelineLease pipeline = detail::leasePipeline(cache, s.models, s, false, job);
  LatentEncoder encoder(pipeline->vae(), pipeline->device(), pipeline->latentDtype());
  DatasetWriter writer(s.out, detail::manifestHeader(s, DatasetKind::Frozen, DatasetSource::Generated, encoder), job);
  detail::SeededRandom random(s.seed);
  const int64_t total = static_cast<int64_t>(s.prompts.size()) * s.samplesPerPrompt;
  job.beginStage("generating", total * s.steps);
  for (int64_t i = 0; i < total; ++i) {
    DatasetSample sample;
    sample.prompt = s.prompts[static_cast<size_t>(i / s.samplesPerPrompt)];
    sample.seed = s.seed + static_cast<uint64_t>(i);
    const torch::Tensor video = detail::generateVideo(*pipeline, s, sample.prompt, sample.seed, i * s.steps, job);
    sample.frame = static_cast<int64_t>(random.below(static_cast<uint64_t>(video.size(0))));
    addClip(writer, encoder, sample, pipelines::toVideoClip(video.slice(0, sample.frame, sample.frame + 1), s.fps));
  }
  return writer.finish(0, "the generated videos", job);
}

}  // namespace

DatasetSummary buildFrozenDataset(const FrozenDatasetSettings& settings, jobs::JobContext& job,
                                  pipelines::ModelCache* cache) {
  settings.validate();
  switch (settings.source) {
    case DatasetSource::Model: return fromModel(settings, cache, job);
    case DatasetSource::Images: return fromImages(settings, job);
    case DatasetSource::Videos: return fromVideos(settings, job);
    case DatasetSource::Generated: return fromGenerated(settings, cache, job);
  }
  throw ConfigError("unknown frozen dataset source");
}

}  // namespace sm::datasets
