#pragma once
// UNet2DConditionModel config (diffusers config.json fields, SD 1.5 defaults).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/io/key_maps/ldm_unet.h"
#include "core/io/state_dict_index.h"
#include "core/models/expected_tensor.h"

namespace sm::models {

struct UNetConfig {
  int in_channels = 4;
  int out_channels = 4;
  std::vector<int> block_out_channels{320, 640, 1280, 1280};
  std::vector<std::string> down_block_types{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
  std::vector<std::string> up_block_types{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
  std::string mid_block_type = "UNetMidBlock2DCrossAttn";
  int layers_per_block = 2;
  int transformer_layers_per_block = 1;
  int cross_attention_dim = 768;
  /// diffusers' `attention_head_dim`, which for SD 1.5 is really the number of heads (8).
  std::vector<int> attention_head_dim{8, 8, 8, 8};
  int norm_num_groups = 32;
  double norm_eps = 1e-5;
  bool use_linear_projection = false;
  bool flip_sin_to_cos = true;
  int freq_shift = 0;
  int sample_size = 64;

  static UNetConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  /// A diffusers config.json ("_class_name": "UNet2DConditionModel") with
  /// diffusers' defaults for the fields this config does not hold; fromJson reads it back equal.
  nlohmann::json toJson() const;
  /// Infers the sizes from diffusers-named weights. The head count is not
  /// visible in weights: it keeps SD's value (8; 64-wide heads for SD 2).
  /// Norm groups: see inferNormGroups. `encoderOnly`: the weights have no up
  /// blocks and no conv_out (a ControlNet): out_channels stays in_channels.
  static UNetConfig inferFromWeights(const io::StateDictIndex& weights, bool encoderOnly = false);
  /// Throws ConfigError when the config cannot describe a UNet.
  void validate() const;
  bool hasCrossAttention(size_t downBlock) const;
  bool upHasCrossAttention(size_t upBlock) const;
  int timeEmbeddingDim() const { return block_out_channels.at(0) * 4; }
  /// Every tensor of the model in diffusers naming.
  std::vector<ExpectedTensor> expectedTensors() const;
  /// The block layout an LDM checkpoint of this UNet has (io/key_maps/ldm_export.h).
  io::LdmUNetLayout ldmLayout() const;

  bool operator==(const UNetConfig&) const = default;
};

}  // namespace sm::models
