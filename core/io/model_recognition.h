#pragma once
// Says what a path is: an SD 1.5 single-file checkpoint, a diffusers folder,
// an AnimateDiff motion module, a ControlNet, a LoRA, one of our adapters.
// Reads headers, key names and shapes only; no weights are loaded. Checking
// each part's keys against its config is core/models' (model_check.h).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/key_check.h"
#include "core/io/state_dict_index.h"

namespace sm::io {

enum class ModelKind {
  SD15Checkpoint,     ///< single-file LDM checkpoint: UNet + VAE + CLIP text
  DiffusersPipeline,  ///< diffusers folder with model_index.json
  UNet,
  VAE,
  TextEncoder,
  MotionModule,  ///< AnimateDiff motion module
  ControlNet,
  LoRA,
  StillMovingAdapter,  ///< a Motion or Spatial Adapter written by this project
};

std::string_view modelKindName(ModelKind kind);

/// One part of a model (a pipeline's unet/, a checkpoint's VAE...) and, once
/// models::checkComponentKeys has run, how its keys compare with its config.
struct ComponentReport {
  std::string name;
  std::string path;
  size_t tensors = 0;
  int64_t parameters = 0;
  std::optional<KeyCheck> keyCheck;
};

struct ModelInfo {
  std::string path;
  ModelKind kind = ModelKind::SD15Checkpoint;
  std::string variant;  ///< "sd15", "v2", "unet+text-encoder", "motion-adapter"...
  std::string naming;   ///< "ldm", "diffusers", "original", "kohya", "peft", "diffusers-old", "stillmoving"
  std::string format;   ///< "safetensors", "torch-zip" or "folder"
  size_t tensors = 0;
  int64_t parameters = 0;
  std::set<std::string> dtypes;
  std::map<std::string, std::string> metadata;
  std::vector<ComponentReport> components;
  /// Facts worth telling a user (ignored keys, inferred sizes...).
  std::vector<std::string> notes;

  /// Whether every component's keys match its config.
  bool keysOk() const;
  /// Adds the file's tensor and parameter counts and dtypes to the totals.
  void addTensors(const StateDictIndex& weights);
};

/// openModel(path).info: what the path is, without the key checks.
/// Throws CheckpointError naming the path when it is unreadable, broken, or
/// no model layout we know.
ModelInfo recognizeModel(const std::string& path);

/// Recognition of an already-open weights file (used by the opener and tests).
ModelInfo recognizeWeights(const StateDictIndex& weights);

/// "sd15", "sd15-inpainting" or "sd2", from a diffusers-named UNet's shapes.
std::string sdVariant(const StateDictIndex& unet);

}  // namespace sm::io
