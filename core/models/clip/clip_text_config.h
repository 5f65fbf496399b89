#pragma once
// CLIPTextModel config (transformers config.json fields, CLIP ViT-L/14 defaults).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"
#include "core/models/expected_tensor.h"

namespace sm::models {

struct CLIPTextConfig {
  int vocab_size = 49408;
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int max_position_embeddings = 77;
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "quick_gelu";

  static CLIPTextConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  /// A transformers config.json ("architectures": ["CLIPTextModel"], "model_type":
  /// "clip_text_model", SD 1.5's token ids); fromJson reads it back equal.
  nlohmann::json toJson() const;
  /// Sizes from weights named `text_model.…`; the head count keeps 64-wide heads.
  static CLIPTextConfig inferFromWeights(const io::StateDictIndex& weights);
  void validate() const;
  std::vector<ExpectedTensor> expectedTensors() const;

  bool operator==(const CLIPTextConfig&) const = default;
};

}  // namespace sm::models
