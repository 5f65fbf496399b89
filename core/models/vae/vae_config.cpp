#include "core/models/vae/vae_config.h"

#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

void addResnet(std::vector<ExpectedTensor>& out, const std::string& p, int64_t in, int64_t outC) {
  addNorm(out, p + ".norm1", in);
  addConv(out, p + ".conv1", in, outC, 3);
  addNorm(out, p + ".norm2", outC);
  addConv(out, p + ".conv2", outC, outC, 3);
  if (in != outC) addConv(out, p + ".conv_shortcut", in, outC, 1);
}

void addMidBlock(std::vector<ExpectedTensor>& out, const std::string& p, int64_t c, bool attention) {
  addResnet(out, p + ".resnets.0", c, c);
  if (attention) {
    addNorm(out, p + ".attentions.0.group_norm", c);
    for (const char* proj : {".to_q", ".to_k", ".to_v", ".to_out.0"}) addLinear(out, p + ".attentions.0" + proj, c, c);
  }
  addResnet(out, p + ".resnets.1", c, c);
}

}  // namespace

VAEConfig VAEConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  VAEConfig config;
  ConfigReader r(json, path);
  r.read("in_channels", config.in_channels);
  r.read("out_channels", config.out_channels);
  r.read("latent_channels", config.latent_channels);
  r.read("block_out_channels", config.block_out_channels);
  r.read("layers_per_block", config.layers_per_block);
  r.read("norm_num_groups", config.norm_num_groups);
  r.read("scaling_factor", config.scaling_factor);
  r.read("sample_size", config.sample_size);
  r.read("mid_block_add_attention", config.mid_block_add_attention);
  r.validate(config);
  return config;
}

nlohmann::json VAEConfig::toJson() const {
  const size_t levels = block_out_channels.size();
  return {{"_class_name", "AutoencoderKL"},
          {"_diffusers_version", "0.35.2"},
          {"act_fn", "silu"},
          {"block_out_channels", block_out_channels},
          {"down_block_types", std::vector<std::string>(levels, "DownEncoderBlock2D")},
          {"force_upcast", true},
          {"in_channels", in_channels},
          {"latent_channels", latent_channels},
          {"latents_mean", nullptr},
          {"latents_std", nullptr},
          {"layers_per_block", layers_per_block},
          {"mid_block_add_attention", mid_block_add_attention},
          {"norm_num_groups", norm_num_groups},
          {"out_channels", out_channels},
          {"sample_size", sample_size},
          {"scaling_factor", scaling_factor},
          {"shift_factor", nullptr},
          {"up_block_types", std::vector<std::string>(levels, "UpDecoderBlock2D")},
          {"use_post_quant_conv", true},
          {"use_quant_conv", true}};
}

VAEConfig VAEConfig::inferFromWeights(const io::StateDictIndex& w) {
  VAEConfig config;
  auto dim = [&](const std::string& key, size_t axis) {
    const io::TensorInfo* t = w.find(key);
    if (!t || t->shape.size() <= axis) throw CheckpointError(w.path, key, "needed to infer the VAE config but absent");
    return static_cast<int>(t->shape[axis]);
  };
  config.in_channels = dim("encoder.conv_in.weight", 1);
  config.out_channels = dim("decoder.conv_out.weight", 0);
  config.latent_channels = dim("decoder.conv_in.weight", 1);
  config.block_out_channels.clear();
  for (size_t i = 0; w.contains("encoder.down_blocks." + std::to_string(i) + ".resnets.0.conv1.weight"); ++i)
    config.block_out_channels.push_back(dim("encoder.down_blocks." + std::to_string(i) + ".resnets.0.conv1.weight", 0));
  int layers = 0;
  while (w.contains("encoder.down_blocks.0.resnets." + std::to_string(layers) + ".conv1.weight")) ++layers;
  config.layers_per_block = layers;
  config.norm_num_groups = inferNormGroups(config.block_out_channels);
  config.mid_block_add_attention = w.contains("encoder.mid_block.attentions.0.to_q.weight");
  return config;
}

void VAEConfig::validate() const {
  if (block_out_channels.empty()) throw ConfigError("VAE config: block_out_channels is empty");
  if (layers_per_block < 1) throw ConfigError("VAE config: layers_per_block must be at least 1");
  if (norm_num_groups < 1) throw ConfigError("VAE config: norm_num_groups must be at least 1");
  for (int c : block_out_channels)
    if (c <= 0 || c % norm_num_groups != 0)
      throw ConfigError("VAE config: every block_out_channels entry must be a positive multiple of norm_num_groups");
  if (latent_channels < 1 || in_channels < 1 || out_channels < 1)
    throw ConfigError("VAE config: channel counts must be positive");
}

std::vector<ExpectedTensor> VAEConfig::expectedTensors() const {
  validate();
  std::vector<ExpectedTensor> out;
  const auto& ch = block_out_channels;
  const int64_t n = static_cast<int64_t>(ch.size());
  const int64_t last = ch[n - 1];
  addConv(out, "encoder.conv_in", in_channels, ch[0], 3);
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = "encoder.down_blocks." + std::to_string(i);
    for (int j = 0; j < layers_per_block; ++j)
      addResnet(out, p + ".resnets." + std::to_string(j), j == 0 ? (i == 0 ? ch[0] : ch[i - 1]) : ch[i], ch[i]);
    if (i < n - 1) addConv(out, p + ".downsamplers.0.conv", ch[i], ch[i], 3);
  }
  addMidBlock(out, "encoder.mid_block", last, mid_block_add_attention);
  addNorm(out, "encoder.conv_norm_out", last);
  addConv(out, "encoder.conv_out", last, 2 * latent_channels, 3);  // mean and log-variance
  addConv(out, "quant_conv", 2 * latent_channels, 2 * latent_channels, 1);
  addConv(out, "post_quant_conv", latent_channels, latent_channels, 1);
  addConv(out, "decoder.conv_in", latent_channels, last, 3);
  addMidBlock(out, "decoder.mid_block", last, mid_block_add_attention);
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = "decoder.up_blocks." + std::to_string(i);
    const int64_t outC = ch[n - 1 - i];
    const int64_t prev = i == 0 ? last : ch[n - i];
    for (int j = 0; j <= layers_per_block; ++j)
      addResnet(out, p + ".resnets." + std::to_string(j), j == 0 ? prev : outC, outC);
    if (i < n - 1) addConv(out, p + ".upsamplers.0.conv", outC, outC, 3);
  }
  addNorm(out, "decoder.conv_norm_out", ch[0]);
  addConv(out, "decoder.conv_out", ch[0], out_channels, 3);
  return out;
}

}  // namespace sm::models
