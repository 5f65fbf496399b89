#pragma once
// Writes a dataset folder as samples arrive: per sample its preview MP4 (and,
// frozen, its image) at once, so the Studio can show progress; at the end the
// latents file, the contact sheet and, last, the manifest. Every file is
// written atomically.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/datasets/dataset_jobs.h"
#include "core/datasets/dataset_manifest.h"
#include "core/jobs/job.h"
#include "core/video/video_frames.h"

namespace sm::datasets {

class DatasetWriter {
 public:
  /// `header`: everything but the samples. Prepares the folder (prepareDatasetFolder).
  DatasetWriter(std::string folder, DatasetManifest header);

  /// Adds a sample. Frozen: `latents` [4, h, w] and `clip` its one frame;
  /// prior: `latents` [4, F, h, w] and `clip` its F frames. `sample.key` is set here.
  void add(DatasetSample sample, const torch::Tensor& latents, const video::VideoClip& clip);
  size_t size() const { return latents_.size(); }
  DatasetKind kind() const { return manifest_.kind; }

  /// Writes latents.safetensors, preview.png and dataset.json (last). Throws
  /// ConfigError when no sample was added (`what` says what was searched).
  DatasetSummary finish(int skipped, const std::string& what, jobs::JobContext& job);

 private:
  std::string folder_;
  DatasetManifest manifest_;
  std::vector<torch::Tensor> latents_;
  std::vector<video::Frame> thumbnails_;
};

}  // namespace sm::datasets
