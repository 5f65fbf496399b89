#pragma once
// A built dataset folder as the trainer sees it: latent videos [4, F, h, w]
// and their prompts. The latents file is memory-mapped; each sample is copied
// out when asked for.
#include <torch/torch.h>

#include <string>

#include "core/datasets/dataset_manifest.h"
#include "core/io/state_dict_index.h"

namespace sm::datasets {

class LatentVideoDataset {
 public:
  /// Reads the manifest and indexes latents.safetensors, checking that every
  /// sample's tensor is there with the shape the manifest implies. Throws
  /// CheckpointError naming the folder or file when it is missing, corrupt,
  /// unfinished (no manifest: a failed or cancelled build) or inconsistent.
  static LatentVideoDataset open(const std::string& folder);

  size_t size() const { return manifest_.samples.size(); }
  DatasetKind kind() const { return manifest_.kind; }
  /// Frames per video the dataset was built for.
  int frames() const { return manifest_.frames; }
  int width() const { return manifest_.width; }
  int height() const { return manifest_.height; }
  const DatasetManifest& manifest() const { return manifest_; }
  const std::string& folder() const { return folder_; }

  struct Sample {
    torch::Tensor latents;  ///< [4, F, h, w] float32 on the CPU, UNet scale
    std::string prompt;
  };
  /// Sample `index` (< size()) as a video of `frames` frames: a frozen sample's
  /// frame repeated, a prior sample's first `frames` frames. Throws ConfigError
  /// when a prior sample has fewer frames or `frames` < 1.
  Sample sample(size_t index, int frames) const;

 private:
  std::string folder_;
  DatasetManifest manifest_;
  io::StateDictIndex latents_;
};

}  // namespace sm::datasets
