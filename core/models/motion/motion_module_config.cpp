#include "core/models/motion/motion_module_config.h"

#include <algorithm>

#include "core/io/key_maps/animatediff.h"
#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

void addMotionModule(std::vector<ExpectedTensor>& out, const std::string& p, int64_t c, int layers) {
  addNorm(out, p + ".norm", c);
  addLinear(out, p + ".proj_in", c, c);
  for (int t = 0; t < layers; ++t) {
    const std::string b = p + ".transformer_blocks." + std::to_string(t);
    for (const char* attn : {".attn1", ".attn2"}) {
      addLinear(out, b + attn + ".to_q", c, c, false);
      addLinear(out, b + attn + ".to_k", c, c, false);
      addLinear(out, b + attn + ".to_v", c, c, false);
      addLinear(out, b + attn + ".to_out.0", c, c);
    }
    addNorm(out, b + ".norm1", c);
    addNorm(out, b + ".norm2", c);
    addNorm(out, b + ".norm3", c);
    addLinear(out, b + ".ff.net.0.proj", c, 8 * c);
    addLinear(out, b + ".ff.net.2", 4 * c, c);
  }
  addLinear(out, p + ".proj_out", c, c);
}

}  // namespace

std::string_view motionModuleVersionName(MotionModuleVersion version) {
  switch (version) {
    case MotionModuleVersion::V1: return "v1";
    case MotionModuleVersion::V2: return "v2";
    case MotionModuleVersion::V3: return "v3";
  }
  return "unknown";
}

MotionModuleConfig MotionModuleConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  MotionModuleConfig config;
  ConfigReader r(json, path);
  r.read("block_out_channels", config.block_out_channels);
  r.read("motion_layers_per_block", config.motion_layers_per_block);
  r.read("motion_transformer_layers_per_block", config.motion_transformer_layers_per_block);
  r.read("motion_transformer_layers_per_mid_block", config.motion_transformer_layers_per_mid_block);
  r.read("motion_num_attention_heads", config.motion_num_attention_heads);
  r.read("motion_norm_num_groups", config.motion_norm_num_groups);
  r.read("motion_max_seq_length", config.motion_max_seq_length);
  r.read("use_motion_mid_block", config.use_motion_mid_block);
  config.version = config.use_motion_mid_block          ? MotionModuleVersion::V2
                   : config.motion_max_seq_length == 24 ? MotionModuleVersion::V1
                                                        : MotionModuleVersion::V3;
  r.validate(config);
  return config;
}

nlohmann::json MotionModuleConfig::toJson() const {
  return {{"_class_name", "MotionAdapter"},
          {"_diffusers_version", "0.35.2"},
          {"block_out_channels", block_out_channels},
          {"conv_in_channels", nullptr},
          {"motion_layers_per_block", motion_layers_per_block},
          {"motion_max_seq_length", motion_max_seq_length},
          {"motion_mid_block_layers_per_block", 1},
          {"motion_norm_num_groups", motion_norm_num_groups},
          {"motion_num_attention_heads", motion_num_attention_heads},
          {"motion_transformer_layers_per_block", motion_transformer_layers_per_block},
          {"motion_transformer_layers_per_mid_block", motion_transformer_layers_per_mid_block},
          {"use_motion_mid_block", use_motion_mid_block}};
}

MotionModuleConfig MotionModuleConfig::inferFromWeights(const io::StateDictIndex& file) {
  const bool original = std::any_of(file.tensors().begin(), file.tensors().end(), [](const io::TensorInfo& t) {
    return t.name.find(".temporal_transformer.") != std::string::npos;
  });
  io::RenamedMotionModule renamed = original ? io::renameAnimateDiffOriginal(file) : io::RenamedMotionModule{};
  const io::StateDictIndex& w = original ? renamed.weights : file;
  MotionModuleConfig config;
  config.block_out_channels.clear();
  for (size_t i = 0;; ++i) {
    const io::TensorInfo* t = w.find("down_blocks." + std::to_string(i) + ".motion_modules.0.proj_in.weight");
    if (!t) break;
    if (t->shape.size() != 2) throw CheckpointError(w.path, t->name, "is not a Linear weight");
    config.block_out_channels.push_back(static_cast<int>(t->shape[0]));
  }
  if (config.block_out_channels.empty())
    throw CheckpointError(w.path, "no motion modules found ('down_blocks.0.motion_modules.0.proj_in.weight' absent)");
  int layers = 0;
  while (w.contains("down_blocks.0.motion_modules." + std::to_string(layers) + ".proj_in.weight")) ++layers;
  config.motion_layers_per_block = layers;
  auto countBlocks = [&](const std::string& prefix) {
    int n = 0;
    while (w.contains(prefix + ".transformer_blocks." + std::to_string(n) + ".norm1.weight")) ++n;
    return n;
  };
  config.motion_transformer_layers_per_block = std::max(countBlocks("down_blocks.0.motion_modules.0"), 1);
  config.use_motion_mid_block = w.contains("mid_block.motion_modules.0.proj_in.weight");
  if (config.use_motion_mid_block)
    config.motion_transformer_layers_per_mid_block = std::max(countBlocks("mid_block.motion_modules.0"), 1);
  config.motion_norm_num_groups = inferNormGroups(config.block_out_channels);
  int64_t peLength = 0;
  for (const auto& t : file.tensors())
    if ((t.name.find(".pos_embed.pe") != std::string::npos || t.name.find(".pos_encoder.pe") != std::string::npos) &&
        t.shape.size() == 3)
      peLength = std::max(peLength, t.shape[1]);
  // v1 and v3 have the same tensors: only a 24-long position table tells v1 apart.
  config.version = config.use_motion_mid_block ? MotionModuleVersion::V2
                   : peLength == 24            ? MotionModuleVersion::V1
                                               : MotionModuleVersion::V3;
  config.motion_max_seq_length = peLength > 0                                ? static_cast<int>(peLength)
                                 : config.version == MotionModuleVersion::V1 ? 24
                                                                             : 32;
  return config;
}

void MotionModuleConfig::validate() const {
  if (block_out_channels.empty()) throw ConfigError("motion module config: block_out_channels is empty");
  if (motion_layers_per_block < 1 || motion_transformer_layers_per_block < 1 ||
      motion_transformer_layers_per_mid_block < 1)
    throw ConfigError("motion module config: layer counts must be at least 1");
  if (motion_num_attention_heads < 1 || motion_norm_num_groups < 1 || motion_max_seq_length < 1)
    throw ConfigError("motion module config: heads, norm groups and max_seq_length must be positive");
  for (int c : block_out_channels) {
    if (c <= 0 || c % motion_norm_num_groups != 0 || c % motion_num_attention_heads != 0)
      throw ConfigError("motion module config: channels " + std::to_string(c) +
                        " must be a positive multiple of motion_norm_num_groups (" +
                        std::to_string(motion_norm_num_groups) + ") and motion_num_attention_heads (" +
                        std::to_string(motion_num_attention_heads) + ")");
    if (c % 2 != 0) throw ConfigError("motion module config: channels must be even (sinusoidal position table)");
  }
}

std::vector<ExpectedTensor> MotionModuleConfig::expectedTensors() const {
  validate();
  std::vector<ExpectedTensor> out;
  const auto& ch = block_out_channels;
  const size_t n = ch.size();
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < motion_layers_per_block; ++j)
      addMotionModule(out, "down_blocks." + std::to_string(i) + ".motion_modules." + std::to_string(j), ch[i],
                      motion_transformer_layers_per_block);
  if (use_motion_mid_block)
    addMotionModule(out, "mid_block.motion_modules.0", ch[n - 1], motion_transformer_layers_per_mid_block);
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j <= motion_layers_per_block; ++j)
      addMotionModule(out, "up_blocks." + std::to_string(i) + ".motion_modules." + std::to_string(j), ch[n - 1 - i],
                      motion_transformer_layers_per_block);
  return out;
}

}  // namespace sm::models
