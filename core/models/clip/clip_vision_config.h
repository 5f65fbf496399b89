#pragma once
// CLIPModel config (transformers config.json: "text_config", "vision_config",
// "projection_dim"), as read for the CLIP evaluator (CLIP-I, CLIP-T). Missing
// fields take transformers' defaults (ViT-B/32), not SD's text encoder's.
#include <nlohmann/json.hpp>
#include <string>

#include "core/models/clip/clip_text_config.h"

namespace sm::models {

struct CLIPVisionConfig {
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int num_channels = 3;
  int image_size = 224;
  int patch_size = 32;
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "quick_gelu";

  static CLIPVisionConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  void validate() const;
  int numPatches() const { return (image_size / patch_size) * (image_size / patch_size); }

  bool operator==(const CLIPVisionConfig&) const = default;
};

struct CLIPModelConfig {
  CLIPTextConfig text;
  CLIPVisionConfig vision;
  int projection_dim = 512;
  /// The text tower pools at the first of these ids; transformers' legacy
  /// value 2 means "at the highest id" (which is end-of-text in CLIP's vocabulary).
  int eos_token_id = 49407;

  /// A transformers CLIPModel config.json; throws ConfigError naming the file
  /// when it is another model or has impossible sizes.
  static CLIPModelConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
};

}  // namespace sm::models
