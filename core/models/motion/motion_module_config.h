#pragma once
// AnimateDiff motion-module config: the diffusers MotionAdapter config.json
// fields, SD 1.5 v2 defaults (ARCHITECTURE_FACTS §3.1, §3.6).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/state_dict_index.h"
#include "core/models/expected_tensor.h"

namespace sm::models {

enum class MotionModuleVersion { V1, V2, V3 };

std::string_view motionModuleVersionName(MotionModuleVersion version);

struct MotionModuleConfig {
  /// Channels of the motion modules at each UNet level (the UNet's block_out_channels).
  std::vector<int> block_out_channels{320, 640, 1280, 1280};
  /// Modules per down block; up blocks have one more.
  int motion_layers_per_block = 2;
  int motion_transformer_layers_per_block = 1;
  int motion_transformer_layers_per_mid_block = 1;
  int motion_num_attention_heads = 8;
  int motion_norm_num_groups = 32;
  /// Longest frame sequence the position table covers (24 for v1, 32 for v2/v3).
  int motion_max_seq_length = 32;
  bool use_motion_mid_block = true;
  /// Not a config.json field: said by the file (recognition) or the config.
  MotionModuleVersion version = MotionModuleVersion::V2;

  /// A diffusers MotionAdapter config.json. The version follows from
  /// use_motion_mid_block (v2) and motion_max_seq_length (24: v1, else v3).
  static MotionModuleConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  /// A diffusers MotionAdapter config.json ("_class_name": "MotionAdapter").
  /// fromJson reads it back equal, except a v1 config with the mid block (or a
  /// v3 with a 24-frame table), whose version the fields cannot say.
  nlohmann::json toJson() const;
  /// From a motion module's keys, diffusers (`down_blocks.0.motion_modules.0.proj_in.weight`)
  /// or original (`...motion_modules.0.temporal_transformer.proj_in.weight`) naming.
  /// Invisible in weights: heads (8, AnimateDiff's), norm groups (inferNormGroups).
  /// The sequence length comes from a `pos_embed.pe` or `pos_encoder.pe` table
  /// when the file has one, else from the version (v1: 24, else 32).
  static MotionModuleConfig inferFromWeights(const io::StateDictIndex& weights);
  /// Throws ConfigError when the config cannot describe motion modules.
  void validate() const;
  /// Every parameter in diffusers naming, under the UNet's block prefixes; no position tables.
  std::vector<ExpectedTensor> expectedTensors() const;

  bool operator==(const MotionModuleConfig&) const = default;
};

}  // namespace sm::models
