#include "core/datasets/latent_video_dataset.h"

#include <filesystem>

#include "core/engine/tensor_loader.h"
#include "core/io/safetensors.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::datasets {

LatentVideoDataset LatentVideoDataset::open(const std::string& folder) {
  LatentVideoDataset dataset;
  dataset.folder_ = folder;
  dataset.manifest_ = readManifest(folder);
  const DatasetManifest& m = dataset.manifest_;
  const std::string path = (fs::path(folder) / kLatentsFile).string();
  if (m.samples.empty()) throw CheckpointError((fs::path(folder) / kManifestFile).string(), "lists no samples");
  if (!fs::exists(path)) throw CheckpointError(path, "missing: the dataset is incomplete; build it again");
  dataset.latents_ = io::readSafetensors(path);
  const int64_t h = m.height / m.pixelsPerLatent, w = m.width / m.pixelsPerLatent;
  const std::vector<int64_t> expected =
      m.kind == DatasetKind::Frozen ? std::vector<int64_t>{4, h, w} : std::vector<int64_t>{4, m.frames, h, w};
  for (const DatasetSample& sample : m.samples) {
    const io::TensorInfo* info = dataset.latents_.find(sample.key);
    if (!info) throw CheckpointError(path, sample.key, "the manifest's sample is missing: build the dataset again");
    if (info->shape != expected) throw ShapeError(path + ": " + sample.key, expected, info->shape);
    if (info->dtype != io::DType::F32)
      throw CheckpointError(path, sample.key, "is not float32: the file was not written by Still-Moving Studio");
  }
  return dataset;
}

LatentVideoDataset::Sample LatentVideoDataset::sample(size_t index, int frames) const {
  TORCH_CHECK(index < size(), "LatentVideoDataset::sample: index ", index, " of ", size());
  if (frames < 1) throw ConfigError("frames must be >= 1, got " + std::to_string(frames));
  const DatasetSample& entry = manifest_.samples[index];
  const torch::Tensor stored = engine::loadTensor(*latents_.find(entry.key), latents_.owner, torch::kFloat32);
  // Caught here, a damaged sample is named; in training it would look like a diverged run.
  if (!torch::isfinite(stored).all().item<bool>())
    throw CheckpointError((fs::path(folder_) / kLatentsFile).string(), entry.key,
                          "holds NaN or Inf values: the dataset is damaged; build it again");
  Sample out;
  out.prompt = entry.prompt;
  if (manifest_.kind == DatasetKind::Frozen) {
    // [4, h, w] -> [4, F, h, w]: the frozen video, F identical frames.
    out.latents = stored.unsqueeze(1).expand({stored.size(0), frames, stored.size(1), stored.size(2)}).contiguous();
    return out;
  }
  if (stored.size(1) < frames)
    throw ConfigError("dataset " + folder_ + " has " + std::to_string(stored.size(1)) +
                      "-frame videos: train with at most " + std::to_string(stored.size(1)) +
                      " frames or rebuild it with more");
  out.latents = stored.slice(1, 0, frames).contiguous();  // [4, frames, h, w]
  return out;
}

}  // namespace sm::datasets
