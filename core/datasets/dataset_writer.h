#pragma once
// Writes a dataset folder as samples arrive: per sample its preview MP4 (and,
// frozen, its image) at once; at the end the latents file, the contact sheet
// and, last, the manifest. Everything goes to a hidden staging folder beside
// the dataset (util::StagedFolder), swapped in by finish() in one step: until
// then a previous dataset in the folder is untouched and loadable, and a
// failed or cancelled build leaves nothing behind. Two builds of one folder
// at once are refused (util::FolderBusyError).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/datasets/dataset_jobs.h"
#include "core/datasets/dataset_manifest.h"
#include "core/jobs/job.h"
#include "core/util/staged_folder.h"
#include "core/video/video_frames.h"

namespace sm::datasets {

class DatasetWriter {
 public:
  /// `header`: everything but the samples. Refuses a folder that holds anything
  /// but a dataset (checkDatasetFolder), or that another build holds.
  /// `job`'s cancellation also stops a preview's encoding midway.
  DatasetWriter(std::string folder, DatasetManifest header, const jobs::JobContext& job);

  /// Adds a sample. Frozen: `latents` [4, h, w] and `clip` its one frame;
  /// prior: `latents` [4, F, h, w] and `clip` its F frames. `sample.key` is set here.
  void add(DatasetSample sample, const torch::Tensor& latents, const video::VideoClip& clip);
  size_t size() const { return latents_.size(); }
  DatasetKind kind() const { return manifest_.kind; }

  /// Writes latents.safetensors, preview.png and dataset.json (last), then
  /// swaps the new dataset in. Throws ConfigError when no sample was added
  /// (`what` says what was searched); the folder is then unchanged.
  DatasetSummary finish(int skipped, const std::string& what, jobs::JobContext& job);

 private:
  std::string folder_;
  std::unique_ptr<util::StagedFolder> staged_;
  DatasetManifest manifest_;
  std::vector<torch::Tensor> latents_;
  std::vector<video::Frame> thumbnails_;
  const std::atomic<bool>* cancel_;
};

}  // namespace sm::datasets
