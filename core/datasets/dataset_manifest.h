#pragma once
// dataset.json: what a dataset folder holds. A folder is a dataset only once
// its manifest exists; builders write it last, so a build that failed or was
// cancelled half-way is never taken for one. No LibTorch: the CLI and the
// Studio read manifests too.
#include <cstdint>
#include <string>
#include <vector>

namespace sm::datasets {

inline constexpr const char* kDatasetFormat = "stillmoving-dataset";
inline constexpr int kDatasetFormatVersion = 1;
inline constexpr const char* kManifestFile = "dataset.json";
inline constexpr const char* kLatentsFile = "latents.safetensors";
inline constexpr const char* kPreviewFile = "preview.png";

/// Frozen: one frame per sample, repeated to F identical frames when trained on
/// (the Motion Adapter's data, and the customized images). Prior: real motion,
/// F frames per sample (prior preservation).
enum class DatasetKind { Frozen, Prior };
/// Where the samples came from: images sampled from a (customized) T2I model,
/// the user's images, frames or clips of the user's videos, or videos made by the base T2V.
enum class DatasetSource { Model, Images, Videos, Generated };

/// "frozen", "prior"
std::string datasetKindName(DatasetKind kind);
/// "model", "images", "videos", "generated"
std::string datasetSourceName(DatasetSource source);
/// Inverses; throw ConfigError listing the valid names.
DatasetKind parseDatasetKind(const std::string& name);
DatasetSource parseDatasetSource(const std::string& name);

/// One sample and its provenance. Fields that do not apply stay at their defaults.
struct DatasetSample {
  /// Name of its tensor in latents.safetensors: "0000", "0001", …
  std::string key;
  std::string prompt;
  /// The image or video it was taken from (sources images / videos).
  std::string file;
  /// Video sources: the first source frame taken; generated ones: the frame of the generated video.
  int64_t frame = -1;
  /// Sampled sources (model / generated): the seed of its noise.
  uint64_t seed = 0;
};

struct DatasetManifest {
  DatasetKind kind = DatasetKind::Frozen;
  DatasetSource source = DatasetSource::Model;
  /// Frames per training video (frozen: how many times the one frame repeats by default).
  int frames = 16;
  int width = 512;   ///< pixels
  int height = 512;  ///< pixels
  /// Source frames between a prior sample's frames (1 = consecutive).
  int stride = 1;
  double fps = 8.0;
  uint64_t seed = 0;
  /// The VAE's scaling factor the cached latents are already multiplied by.
  double scalingFactor = 0.18215;
  /// Pixels per latent along each side (8 for SD's VAE; a toy VAE may have 4):
  /// the cached latents are (height, width) / this.
  int pixelsPerLatent = 8;
  /// The models the latents were made with (informative).
  std::string baseModel;
  std::string customModel;
  std::vector<DatasetSample> samples;
};

/// JSON text of the manifest (pretty-printed).
std::string manifestToJson(const DatasetManifest& manifest);
/// Parses a manifest; `pathForErrors` names the file in messages. Throws
/// CheckpointError(path, problem) when it is not JSON, not a stillmoving
/// dataset, of a newer version, or misses or mistypes a field.
DatasetManifest manifestFromJson(const std::string& json, const std::string& pathForErrors);
/// Reads `folder`/dataset.json; CheckpointError names the folder when it or its manifest is missing.
DatasetManifest readManifest(const std::string& folder);
/// Writes `folder`/dataset.json atomically.
void writeManifest(const std::string& folder, const DatasetManifest& manifest);

}  // namespace sm::datasets
