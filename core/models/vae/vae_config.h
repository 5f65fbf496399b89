#pragma once
// AutoencoderKL config (diffusers config.json fields, SD 1.5 defaults).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"
#include "core/models/expected_tensor.h"

namespace sm::models {

struct VAEConfig {
  int in_channels = 3;
  int out_channels = 3;
  int latent_channels = 4;
  std::vector<int> block_out_channels{128, 256, 512, 512};
  int layers_per_block = 2;
  int norm_num_groups = 32;
  double scaling_factor = 0.18215;
  int sample_size = 512;
  bool mid_block_add_attention = true;

  static VAEConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  /// A diffusers config.json ("_class_name": "AutoencoderKL"); fromJson reads it back equal.
  nlohmann::json toJson() const;
  /// Sizes from diffusers-named weights (norm groups: see inferNormGroups).
  static VAEConfig inferFromWeights(const io::StateDictIndex& weights);
  void validate() const;
  std::vector<ExpectedTensor> expectedTensors() const;
  /// Pixels per latent along each side (diffusers' vae_scale_factor): each block
  /// but the last halves the picture, so SD's four blocks give 8.
  int pixelsPerLatent() const { return 1 << (static_cast<int>(block_out_channels.size()) - 1); }

  bool operator==(const VAEConfig&) const = default;
};

}  // namespace sm::models
