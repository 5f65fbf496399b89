#pragma once
// The one place that decides what a model path is and where its parts live:
// a diffusers pipeline folder (model_index.json), one diffusers model folder
// (config.json), or a single weights file (an LDM checkpoint, a diffusers
// UNet, a motion module, a ControlNet, a LoRA, one of our adapters; safetensors
// or a PyTorch zip checkpoint). Every file is opened exactly once; the parts
// hold shared, memory-mapped indexes that a loader (or a model cache) can keep.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/model_recognition.h"
#include "core/io/state_dict_index.h"

namespace sm::io {

enum class Packaging {
  DiffusersPipeline,   ///< a folder with model_index.json and one sub-folder per component
  DiffusersComponent,  ///< one diffusers/transformers model folder (config.json + weights)
  SingleFile,          ///< one safetensors or PyTorch zip file
};

/// One part of a model, opened: its weights in diffusers names and, in a
/// folder, its config.json.
struct OpenedComponent {
  /// As ModelInfo::components names it: "unet", "vae", "text_encoder",
  /// "motion_modules", "controlnet", or "model" for a bare UNet/VAE/text-encoder folder.
  std::string name;
  /// Unset for pipeline parts Still-Moving does not read (an image encoder...).
  std::optional<ModelKind> kind;
  std::shared_ptr<const StateDictIndex> weights;
  /// The parsed config.json and its path; null and "" when the packaging has
  /// none (single files: the config is inferred from the weights).
  std::shared_ptr<const nlohmann::json> config;
  std::string configPath;
  /// config.json's `_class_name` (or transformers' `architectures[0]`); "" without one.
  std::string className;
  /// The naming the source used for this part: "diffusers", "ldm" or "original".
  std::string naming = "diffusers";
  /// Tensors of the source file deliberately left out of `weights`: the other
  /// parts of an LDM checkpoint, a motion module's position tables.
  size_t dropped = 0;
  /// Keys of the source meant for this part that no renaming rule maps.
  std::vector<std::string> unmapped;
};

struct OpenedModel {
  std::string path;
  Packaging packaging = Packaging::SingleFile;
  /// When the model is one weights file (a single file, or a MotionAdapter,
  /// ControlNet or config-less folder): that file in its own naming (original
  /// AnimateDiff, LDM...). Null for pipelines and UNet/VAE/text-encoder folders.
  std::shared_ptr<const StateDictIndex> file;
  std::vector<OpenedComponent> components;
  /// A diffusers tokenizer/ folder (vocab.json + merges.txt); "" when the model carries none.
  std::string tokenizerFolder;
  /// What recognition found. The key checks against each part's config are
  /// core/models' (models::checkComponentKeys); here they are left unset.
  ModelInfo info;

  /// The part of that name, or null.
  const OpenedComponent* find(std::string_view name) const;
  /// The first part of that kind, or null.
  const OpenedComponent* find(ModelKind kind) const;
};

/// Opens `path` and says what it is. Throws CheckpointError naming the path
/// (or the file inside it) when it is missing, unreadable, broken, or no model
/// layout Still-Moving reads.
OpenedModel openModel(const std::string& path);

/// An already-open weights file as openModel sees a single file (for tests,
/// and for callers that hold the index already). Throws as recognizeWeights.
OpenedModel openWeights(std::shared_ptr<const StateDictIndex> file);

/// openModel for a path that must be an SD 1.5 base or customized model (a
/// pipeline folder, a UNet folder or file, an LDM checkpoint): throws
/// CheckpointError naming it when there is no UNet, e.g. a LoRA or a motion module.
OpenedModel openSDModel(const std::string& path);

}  // namespace sm::io
