#pragma once
// ModelSet: which model files a generation, a dataset build or a training run
// is built from, as a value (LibTorch-free). The compute worker's ModelCache
// (model_cache.h) loads each part once and keeps it while it stays selected.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sm::pipelines {

/// The files a pipeline is built from, and the strengths it merges them at.
struct ModelSet {
  /// SD 1.5: a diffusers pipeline folder or a single-file LDM checkpoint (.safetensors / .ckpt).
  std::string base;
  /// An AnimateDiff motion module (original or diffusers naming, file or folder).
  std::string motionModule;
  /// Optional customized T2I (DreamBooth / fine-tune) whose spatial UNet and
  /// text-encoder weights are injected into the base: naive injection, the
  /// paper's baseline; the Spatial Adapters build on it.
  std::string custom;
  /// A diffusers `tokenizer/` folder to use instead of the base's own (or, for
  /// single files, which carry none, instead of SD 1.5's CLIP vocabulary).
  std::string tokenizer;
  /// LoRA files merged into the UNet and text encoder, with their strengths.
  std::vector<std::pair<std::string, float>> loras;
  /// With `custom`: W = (1 - lambda) W_base + lambda W_custom instead of
  /// injection (the paper's interpolation baseline); 1 equals injection.
  std::optional<float> interpolation;
  /// A trained Motion Adapter (its scale is each request's motionScale).
  std::string motionAdapter;
  /// Trained Spatial Adapters, kept at inference (for the customized model they were trained on).
  std::string spatialAdapters;
  /// ControlNets (diffusers folders or original-naming single files), in the order
  /// of each request's `control` inputs; their residuals are summed.
  std::vector<std::string> controlNets;
  /// Folds the Spatial Adapters into the weights after loading: zero-overhead
  /// inference. The Motion Adapter stays a hook, so the slider keeps working.
  bool mergeSpatialAdapters = false;
  /// Adapters whose fingerprints do not match the loaded models are attached with a
  /// warning instead of refused (the user's --force).
  bool acceptForeignAdapters = false;

  /// Throws ConfigError for a set that names something its parts cannot do
  /// (an interpolation without a customized model, merging without Spatial
  /// Adapters). Every loader calls it before reading a file.
  void validate() const;
};

}  // namespace sm::pipelines
