#include "core/worker/memory_estimates.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/datasets/dataset_manifest.h"
#include "core/engine/runtime.h"

namespace fs = std::filesystem;

namespace sm::worker {
namespace {

// Values a UNet pass keeps alive per latent pixel and frame: ~16 tensors of the
// first block's 320 channels (resnet in/out, attention q/k/v/out, skips).
constexpr double kUNetValuesPerLatentPixel = 320.0 * 16;
// Values per pixel of the VAE's full-resolution block: ~3 tensors of 128 channels alive at once.
constexpr double kVAEValuesPerPixel = 128.0 * 3;
constexpr double kMB = 1e6;

bool isWeightsFile(const fs::path& p) {
  static const std::set<std::string> kExtensions = {".safetensors", ".bin", ".ckpt", ".pt", ".pth"};
  return kExtensions.count(p.extension().string()) > 0;
}

// What the weights a model loads take, a proxy for its loaded size. A folder holds
// alternatives (fp16 and fp32 variants side by side): per folder the largest weights
// file counts, or all shards of a sharded one ("-00001-of-00002").
double fileBytes(const std::string& path) {
  if (path.empty()) return 0;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return static_cast<double>(fs::file_size(path, ec));
  std::map<fs::path, std::pair<double, double>> perFolder;  // folder -> (largest file, shards' sum)
  if (fs::is_directory(path, ec))
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec) || !isWeightsFile(it->path())) continue;
      const double size = static_cast<double>(it->file_size(ec));
      auto& [largest, shards] = perFolder[it->path().parent_path()];
      largest = std::max(largest, size);
      if (it->path().filename().string().find("-of-") != std::string::npos) shards += size;
    }
  double sum = 0;
  for (const auto& [folder, sizes] : perFolder) sum += std::max(sizes.first, sizes.second);
  return sum;
}

double weightBytes(const pipelines::ModelSet& m) {
  double sum = fileBytes(m.base) + fileBytes(m.motionModule) + fileBytes(m.custom) + fileBytes(m.motionAdapter) +
               fileBytes(m.spatialAdapters);
  for (const auto& [path, strength] : m.loras) sum += fileBytes(path);
  for (const std::string& path : m.controlNets) sum += fileBytes(path);
  return sum;
}

double elementBytes(const std::string& dtype) { return dtype == "fp16" || dtype == "bf16" ? 2 : 4; }

constexpr bool kModels = true;  // a term where the models run (GPU memory or RAM)

void addModels(util::MemoryEstimate& e, const pipelines::ModelSet& models) {
  e.add("the model weights", weightBytes(models), "the model's size (a smaller or fp16 model)", kModels);
  e.add("the runtime", 300 * kMB, "nothing (LibTorch and FFmpeg themselves)");
}

}  // namespace

util::MemoryEstimate estimateGeneration(const GenerateJob& job) {
  const pipelines::GenerationRequest& r = job.request;
  const double videos = r.numVideos, frames = r.frames, pixels = static_cast<double>(r.width) * r.height;
  const double batch = videos * (r.usesGuidance() ? 2 : 1);
  util::MemoryEstimate e;
  pipelines::ModelSet models = job.models;
  for (const control::ControlNetUnit& unit : job.controlNets) models.controlNets.push_back(unit.controlNet);
  addModels(e, models);
  const double window = std::min<double>(frames, r.context.length > 0 ? r.context.length : frames);
  e.add("the UNet's activations", batch * window * pixels / 64 * kUNetValuesPerLatentPixel * elementBytes(job.dtype),
        "--frames (or --context), --width/--height or --videos", kModels);
  if (!job.controlNets.empty()) {
    const double nets = static_cast<double>(job.controlNets.size());
    // Each ControlNet's residuals (about the skip tensors, 2000 values per latent pixel at SD 1.5
    // widths) live until the UNet has run; its own pass needs about half the UNet's; its condition
    // is embedded 16 frames at a time, two 16-channel tensors at the full size.
    e.add("the ControlNets' residuals and activations",
          batch * window * pixels / 64 * (nets * 2000 + kUNetValuesPerLatentPixel / 2) * elementBytes(job.dtype) +
              std::min<double>(frames, 16) * pixels * 32 * 4,
          "--frames (or --context), --width/--height, --videos or fewer ControlNets", kModels);
    // The driving frames as read and as preprocessed, and the embedded conditions.
    e.add("the control videos", nets * frames * (pixels * 6 + pixels / 64 * 320 * elementBytes(job.dtype)),
          "--frames or --width/--height");
  }
  e.add("the VAE decoder's activations", std::min<double>(r.decodeChunk, frames) * pixels * kVAEValuesPerPixel * 4,
        "--decode-chunk or --width/--height", kModels);
  // Decoded in float, then converted to 8-bit frames: both exist for a moment.
  e.add("the decoded video", videos * frames * pixels * 3 * (4 + 1), "--frames, --width/--height or --videos");
  return e;
}

util::MemoryEstimate estimateFrozenDataset(const datasets::FrozenDatasetSettings& s) {
  const double frames = s.frames, pixels = static_cast<double>(s.width) * s.height;
  util::MemoryEstimate e;
  addModels(e, s.models);
  const bool sampling = s.source == datasets::DatasetSource::Model || s.source == datasets::DatasetSource::Generated;
  const double sampledFrames = s.source == datasets::DatasetSource::Generated ? frames : 1;
  if (sampling)
    e.add("the UNet's activations", 2 * sampledFrames * pixels / 64 * kUNetValuesPerLatentPixel * 4,
          "--width/--height" + std::string(sampledFrames > 1 ? " or --frames" : ""), kModels);
  e.add("the VAE's activations", sampledFrames * pixels * kVAEValuesPerPixel * 4, "--width/--height", kModels);
  // Each sample's preview is its frame repeated --frames times, then encoded (YUV copies).
  e.add("a sample's preview video", frames * pixels * (3 + 1.5), "--frames or --width/--height");
  const double samples = std::max<double>(1, static_cast<double>(s.prompts.size()) * s.samplesPerPrompt);
  e.add("the latents kept until the end", samples * 4 * pixels / 64 * 4 + samples * 128.0 * 128 * 3,
        "the number of samples or --width/--height");
  return e;
}

util::MemoryEstimate estimatePriorDataset(const datasets::PriorDatasetSettings& s) {
  const double frames = s.frames, pixels = static_cast<double>(s.width) * s.height;
  util::MemoryEstimate e;
  addModels(e, s.models);
  if (s.source == datasets::DatasetSource::Generated)
    e.add("the UNet's activations", 2 * frames * pixels / 64 * kUNetValuesPerLatentPixel * 4,
          "--frames or --width/--height", kModels);
  e.add("the VAE's activations", std::min<double>(frames, 16) * pixels * kVAEValuesPerPixel * 4, "--width/--height",
        kModels);
  // A clip as read and as resized, its float copy for the encoder, and its preview.
  e.add("a sample's frames", frames * pixels * (3 + 3 + 12 + 4.5), "--frames or --width/--height");
  e.add("the latents kept until the end", s.count * 4 * frames * pixels / 64 * 4,
        "--count, --frames or --width/--height");
  return e;
}

util::MemoryEstimate estimateTraining(const training::TrainingSettings& s, const std::string& dataset) {
  util::MemoryEstimate e;
  datasets::DatasetManifest manifest;
  try {
    manifest = datasets::readManifest(dataset);
  } catch (const std::exception&) {
    return e;  // the run's own check names the dataset's problem
  }
  const double frames = s.frames > 0 ? s.frames : manifest.frames;
  const double latentPixels = static_cast<double>(manifest.width) * manifest.height / 64;
  addModels(e, s.model);
  e.add("the gradients and optimizer state", 0.1 * weightBytes(s.model), "--rank", kModels);
  // Gradient checkpointing keeps block inputs only (recomputed in the backward pass).
  const double kept = s.gradientCheckpointing ? 3 : 12;
  e.add("the UNet's activations for the backward pass",
        s.batchSize * frames * latentPixels * kUNetValuesPerLatentPixel * 4 * kept,
        "--batch, --frames, or the dataset's width/height", kModels);
  return e;
}

util::FreeMemory freeMemory(bool gpu) {
  util::FreeMemory free;
  free.ram = util::availableMemoryBytes();
  free.gpu = gpu;
  if (gpu) free.gpuFree = engine::freeCudaMemory();
  return free;
}

}  // namespace sm::worker
