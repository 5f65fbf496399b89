#include "core/datasets/dataset_writer.h"

#include <filesystem>

#include "core/datasets/dataset_folder.h"
#include "core/io/safetensors.h"
#include "core/util/error.h"
#include "core/video/video_writer.h"

namespace fs = std::filesystem;

namespace sm::datasets {
namespace {

constexpr int kThumbnailSide = 128;

}  // namespace

DatasetWriter::DatasetWriter(std::string folder, DatasetManifest header, const jobs::JobContext& job)
    : folder_(std::move(folder)), manifest_(std::move(header)), cancel_(job.cancelToken()->flag()) {
  manifest_.samples.clear();
  checkDatasetFolder(folder_);
  const fs::path parent = fs::path(folder_).lexically_normal().parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  staged_ = std::make_unique<util::StagedFolder>(folder_);
  fs::create_directories(fs::path(staged_->staging()) / "previews");
  if (manifest_.kind == DatasetKind::Frozen) fs::create_directories(fs::path(staged_->staging()) / "images");
}

void DatasetWriter::add(DatasetSample sample, const torch::Tensor& latents, const video::VideoClip& clip) {
  const bool frozen = manifest_.kind == DatasetKind::Frozen;
  const int64_t h = manifest_.height / manifest_.pixelsPerLatent, w = manifest_.width / manifest_.pixelsPerLatent;
  TORCH_CHECK(frozen ? latents.sizes() == torch::IntArrayRef({4, h, w})
                     : latents.dim() == 4 && latents.size(0) == 4 && latents.size(1) == manifest_.frames &&
                           latents.size(2) == h && latents.size(3) == w,
              "DatasetWriter::add: latents of the wrong shape ", latents.sizes());
  TORCH_CHECK(!clip.frames.empty(), "DatasetWriter::add: no frames");
  sample.key = sampleKey(manifest_.samples.size());
  const fs::path dir(staged_->staging());
  if (frozen) writePng((dir / "images" / (sample.key + ".png")).string(), clip.frames[0]);

  video::VideoClip preview;
  preview.fps = manifest_.fps;
  // A frozen sample's preview is what training sees: F copies of its frame.
  preview.frames =
      frozen ? std::vector<video::Frame>(static_cast<size_t>(manifest_.frames), clip.frames[0]) : clip.frames;
  video::WriteOptions options;
  options.preset = "fast";
  options.cancel = cancel_;
  video::writeVideo((dir / "previews" / ("sample-" + sample.key + ".mp4")).string(), preview, options);

  latents_.push_back(latents.to(torch::kCPU, torch::kFloat32).contiguous());
  thumbnails_.push_back(thumbnail(clip.frames[0], kThumbnailSide));
  manifest_.samples.push_back(std::move(sample));
}

DatasetSummary DatasetWriter::finish(int skipped, const std::string& what, jobs::JobContext& job) {
  if (latents_.empty()) throw ConfigError("no usable sample in " + what + ": nothing to build a dataset from");
  job.throwIfCancelled();
  job.beginStage("writing", 3);
  const fs::path dir(staged_->staging());
  std::vector<io::TensorView> views;
  for (size_t i = 0; i < latents_.size(); ++i) {
    const torch::Tensor& t = latents_[i];
    views.push_back({manifest_.samples[i].key, io::DType::F32, t.sizes().vec(), t.data_ptr()});
  }
  io::writeSafetensors((dir / kLatentsFile).string(), views,
                       {{"format", kDatasetFormat}, {"kind", datasetKindName(manifest_.kind)}});
  job.progress(1);
  writePng((dir / kPreviewFile).string(), contactSheet(thumbnails_));
  job.progress(2);
  job.throwIfCancelled();
  writeManifest(dir.string(), manifest_);
  checkDatasetFolder(folder_);  // the user may have put files there meanwhile: they are not swapped away
  staged_->commit();
  staged_.reset();
  job.progress(3);

  DatasetSummary summary;
  summary.folder = folder_;
  summary.kind = manifest_.kind;
  summary.source = manifest_.source;
  summary.samples = static_cast<int>(latents_.size());
  summary.skipped = skipped;
  summary.manifestPath = (fs::path(folder_) / kManifestFile).string();
  summary.previewPath = (fs::path(folder_) / kPreviewFile).string();
  return summary;
}

}  // namespace sm::datasets
