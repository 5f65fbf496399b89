#pragma once
// What the frozen and prior builders share: the engine, the manifest header,
// loading, encoding a clip into a sample, generating one video with progress
// folded into the build's stage, and the seeded random numbers.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/datasets/dataset_jobs.h"
#include "core/datasets/dataset_writer.h"
#include "core/datasets/latent_encoder.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/model_cache.h"
#include "core/video/video_reader.h"

namespace sm::datasets::detail {

struct Engine {
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
};

/// The device and dtype the settings name (ConfigError for bad words).
Engine selectEngine(const DatasetCommonSettings& settings);

/// The manifest's fields that do not depend on the samples.
DatasetManifest manifestHeader(const DatasetCommonSettings& settings, DatasetKind kind, DatasetSource source,
                               const LatentEncoder& encoder);

/// The pipeline a build samples from: the compute worker's cached one when
/// `cache` is given (and on the build's device), else one loaded for this build.
class PipelineLease {
 public:
  pipelines::AnimateDiffPipeline& operator*() const { return *pipeline_; }
  pipelines::AnimateDiffPipeline* operator->() const { return pipeline_; }

 private:
  friend PipelineLease leasePipeline(pipelines::ModelCache*, pipelines::ModelSet, const DatasetCommonSettings&, bool,
                                     jobs::JobContext&);
  pipelines::AnimateDiffPipeline* pipeline_ = nullptr;
  std::unique_ptr<pipelines::AnimateDiffPipeline> owned_;
};

/// Training data shows the model itself: the adapters of `sources` are left
/// out. `imageMode`: only images are sampled, so a pipeline of its own is
/// loaded without the motion modules (a cached one keeps them: image mode
/// skips them, and the next generation needs them).
PipelineLease leasePipeline(pipelines::ModelCache* cache, pipelines::ModelSet sources,
                            const DatasetCommonSettings& settings, bool imageMode, jobs::JobContext& job);
/// Only the VAE of the base model, as a "loading" stage.
LatentEncoder loadEncoder(const DatasetCommonSettings& settings, const Engine& engine, jobs::JobContext& job);

/// Encodes the 8-bit `clip` (so the latents are exactly those of the PNG / MP4
/// the dataset shows) and adds it: frozen takes the first frame only.
void addClip(DatasetWriter& writer, LatentEncoder& encoder, DatasetSample sample, const video::VideoClip& clip);

/// One video of the base T2V; its denoising steps are reported as units
/// `firstUnit + 1 …` of the caller's current stage. Returns [F, 3, H, W] in [0, 1].
torch::Tensor generateVideo(pipelines::AnimateDiffPipeline& pipeline, const DatasetCommonSettings& settings,
                            const std::string& prompt, uint64_t seed, int64_t firstUnit, jobs::JobContext& job);

/// Reads `path` resized and centre-cropped to the settings' size; nullopt (and a
/// warning naming the file) when FFmpeg cannot read it.
std::optional<video::VideoClip> tryReadVideo(const std::string& path, video::ReadOptions options,
                                             const DatasetCommonSettings& settings, jobs::JobContext& job);

/// A seeded generator whose draws are the same on every platform (std::
/// distributions are not), for choosing frames and videos.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  /// A number in [0, n), n > 0.
  uint64_t below(uint64_t n);

 private:
  uint64_t state_;
};

}  // namespace sm::datasets::detail
