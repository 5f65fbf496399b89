#include "core/models/controlnet/controlnet_config.h"

#include <algorithm>

#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

// A ControlNet has no up blocks; the encoder config still names some so that
// UNetConfig::validate() holds: the mirror image of the down blocks.
void mirrorUpBlocks(UNetConfig& config) {
  config.up_block_types.clear();
  for (auto it = config.down_block_types.rbegin(); it != config.down_block_types.rend(); ++it)
    config.up_block_types.push_back(it->find("CrossAttn") != std::string::npos ? "CrossAttnUpBlock2D" : "UpBlock2D");
}

const io::TensorInfo& tensor(const io::StateDictIndex& w, const std::string& key) {
  const io::TensorInfo* t = w.find(key);
  if (!t || t->shape.size() != 4)
    throw CheckpointError(w.path, key, "is missing: a ControlNet's conditioning embedding (input_hint_block) needs it");
  return *t;
}

// controlnet_cond_embedding: conv_in, then per step a same-width conv and a strided conv, then conv_out.
void readConditioningEmbedding(ControlNetConfig& config, const io::StateDictIndex& w) {
  const io::TensorInfo& in = tensor(w, "controlnet_cond_embedding.conv_in.weight");
  config.conditioning_channels = static_cast<int>(in.shape[1]);
  config.conditioning_embedding_out_channels = {static_cast<int>(in.shape[0])};
  for (int i = 1; w.contains("controlnet_cond_embedding.blocks." + std::to_string(i) + ".weight"); i += 2)
    config.conditioning_embedding_out_channels.push_back(
        static_cast<int>(tensor(w, "controlnet_cond_embedding.blocks." + std::to_string(i) + ".weight").shape[0]));
  tensor(w, "controlnet_cond_embedding.conv_out.weight");
}

}  // namespace

ControlNetConfig ControlNetConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  nlohmann::json unet = json;
  // The encoder fields are a UNet's; the mirrored up blocks keep its checks meaningful.
  if (!unet.contains("up_block_types") && unet.contains("down_block_types") && unet["down_block_types"].is_array()) {
    UNetConfig probe;
    ConfigReader(json, path).read("down_block_types", probe.down_block_types);
    mirrorUpBlocks(probe);
    unet["up_block_types"] = probe.up_block_types;
  }
  ControlNetConfig config;
  config.unet = UNetConfig::fromJson(unet, path);
  ConfigReader r(json, path);
  r.read("conditioning_channels", config.conditioning_channels);
  r.read("conditioning_embedding_out_channels", config.conditioning_embedding_out_channels);
  std::string order = "rgb";
  r.read("controlnet_conditioning_channel_order", order);
  if (order != "rgb" && order != "bgr")
    throw CheckpointError(path,
                          "controlnet_conditioning_channel_order must be \"rgb\" or \"bgr\", got \"" + order + "\"");
  config.bgr = order == "bgr";
  r.read("global_pool_conditions", config.global_pool_conditions);
  for (const char* unsupported : {"class_embed_type", "addition_embed_type", "encoder_hid_dim"})
    if (r.has(unsupported))
      throw CheckpointError(path, std::string(unsupported) + " is set: only SD 1.5-style ControlNets are supported");
  r.validate(config);
  return config;
}

ControlNetConfig ControlNetConfig::fromBase(const UNetConfig& base, const io::StateDictIndex& weights) {
  ControlNetConfig config;
  config.unet = base;
  readConditioningEmbedding(config, weights);
  return config;
}

ControlNetConfig ControlNetConfig::inferFromWeights(const io::StateDictIndex& weights) {
  ControlNetConfig config;
  config.unet = UNetConfig::inferFromWeights(weights, /*encoderOnly=*/true);
  mirrorUpBlocks(config.unet);
  readConditioningEmbedding(config, weights);
  return config;
}

nlohmann::json ControlNetConfig::toJson() const {
  nlohmann::json json = unet.toJson();
  for (const char* unetOnly : {"up_block_types", "out_channels", "conv_out_kernel", "center_input_sample",
                               "time_embedding_type", "dual_cross_attention", "dropout", "sample_size"})
    json.erase(unetOnly);
  json["_class_name"] = "ControlNetModel";
  json["conditioning_channels"] = conditioning_channels;
  json["conditioning_embedding_out_channels"] = conditioning_embedding_out_channels;
  json["controlnet_conditioning_channel_order"] = bgr ? "bgr" : "rgb";
  json["global_pool_conditions"] = global_pool_conditions;
  return json;
}

void ControlNetConfig::validate() const {
  unet.validate();
  if (conditioning_channels < 1) throw ConfigError("ControlNet config: conditioning_channels must be at least 1");
  if (conditioning_embedding_out_channels.empty())
    throw ConfigError("ControlNet config: conditioning_embedding_out_channels is empty");
  if (std::any_of(conditioning_embedding_out_channels.begin(), conditioning_embedding_out_channels.end(),
                  [](int c) { return c < 1; }))
    throw ConfigError("ControlNet config: conditioning_embedding_out_channels must be positive");
  if (conditioning_embedding_out_channels.size() > 8)
    throw ConfigError("ControlNet config: more than 8 conditioning embedding levels");
}

int ControlNetConfig::conditioningDownscale() const { return 1 << (conditioning_embedding_out_channels.size() - 1); }

std::vector<int64_t> ControlNetConfig::downResidualChannels() const {
  const auto& ch = unet.block_out_channels;
  std::vector<int64_t> out{ch[0]};  // conv_in's output
  for (size_t i = 0; i < ch.size(); ++i) {
    for (int j = 0; j < unet.layers_per_block; ++j) out.push_back(ch[i]);
    if (i + 1 < ch.size()) out.push_back(ch[i]);  // the downsampler's
  }
  return out;
}

std::vector<ExpectedTensor> ControlNetConfig::expectedTensors() const {
  validate();
  std::vector<ExpectedTensor> out;
  for (ExpectedTensor& t : unet.expectedTensors()) {
    const std::string& n = t.name;
    if (n.rfind("up_blocks.", 0) == 0 || n.rfind("conv_norm_out.", 0) == 0 || n.rfind("conv_out.", 0) == 0) continue;
    out.push_back(std::move(t));
  }
  const auto& e = conditioning_embedding_out_channels;
  addConv(out, "controlnet_cond_embedding.conv_in", conditioning_channels, e[0], 3);
  for (size_t i = 0; i + 1 < e.size(); ++i) {
    addConv(out, "controlnet_cond_embedding.blocks." + std::to_string(2 * i), e[i], e[i], 3);
    addConv(out, "controlnet_cond_embedding.blocks." + std::to_string(2 * i + 1), e[i], e[i + 1], 3);
  }
  addConv(out, "controlnet_cond_embedding.conv_out", e.back(), unet.block_out_channels[0], 3);
  const std::vector<int64_t> residuals = downResidualChannels();
  for (size_t k = 0; k < residuals.size(); ++k)
    addConv(out, "controlnet_down_blocks." + std::to_string(k), residuals[k], residuals[k], 1);
  const int64_t last = unet.block_out_channels.back();
  addConv(out, "controlnet_mid_block", last, last, 1);
  return out;
}

}  // namespace sm::models
