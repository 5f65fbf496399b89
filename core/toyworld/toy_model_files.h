#pragma once
// Where each toy-world model lives in a models folder (what `stillmoving world
// train` exports into <work>/models and what the project ships in
// resources/toyworld/), and where the shipped one is found.
#include <filesystem>
#include <optional>
#include <string>

namespace sm::toyworld {

struct ToyModelFiles {
  std::filesystem::path root;

  std::filesystem::path base() const { return root / "base"; }                        ///< diffusers pipeline folder
  std::filesystem::path baseSingleFile() const { return root / "base.safetensors"; }  ///< LDM naming
  std::filesystem::path tokenizer() const { return base() / "tokenizer"; }
  std::filesystem::path motionModule() const { return root / "motion_module"; }            ///< diffusers MotionAdapter
  std::filesystem::path object() const { return root / "toy_object.safetensors"; }         ///< DreamBooth, LDM naming
  std::filesystem::path styleLora() const { return root / "sks_style_lora.safetensors"; }  ///< kohya naming
  std::filesystem::path motionAdapter() const { return root / "motion_adapter.safetensors"; }
  std::filesystem::path objectSpatialAdapters() const { return root / "spatial_adapters_object.safetensors"; }
  std::filesystem::path styleSpatialAdapters() const { return root / "spatial_adapters_style.safetensors"; }
  /// A canny ControlNet for the base (diffusers ControlNetModel folder, fp16).
  std::filesystem::path controlNet() const { return root / "controlnet_canny"; }
  std::filesystem::path evaluator() const { return root / "evaluator" / "evaluator.safetensors"; }
  std::filesystem::path references(const std::string& customization) const {
    return root / "references" / customization;
  }
  /// Whether the base, motion module and tokenizer are there (enough to generate).
  bool hasBase() const;
};

/// The shipped toy world: $SM_TOYWORLD when set, else <prefix>/share/stillmoving/toyworld
/// beside the installed executable, else the source tree's resources/toyworld. None when absent.
std::optional<ToyModelFiles> shippedToyWorld();

}  // namespace sm::toyworld
