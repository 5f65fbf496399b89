#include "core/models/unet/unet_config.h"

#include <algorithm>

#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

void addResnet(std::vector<ExpectedTensor>& out, const std::string& p, int64_t in, int64_t outC, int64_t temb) {
  addNorm(out, p + ".norm1", in);
  addConv(out, p + ".conv1", in, outC, 3);
  if (temb > 0) addLinear(out, p + ".time_emb_proj", temb, outC);
  addNorm(out, p + ".norm2", outC);
  addConv(out, p + ".conv2", outC, outC, 3);
  if (in != outC) addConv(out, p + ".conv_shortcut", in, outC, 1);
}

void addAttention(std::vector<ExpectedTensor>& out, const std::string& p, int64_t c, int64_t kv) {
  addLinear(out, p + ".to_q", c, c, false);
  addLinear(out, p + ".to_k", kv, c, false);
  addLinear(out, p + ".to_v", kv, c, false);
  addLinear(out, p + ".to_out.0", c, c);
}

void addTransformer2D(std::vector<ExpectedTensor>& out, const std::string& p, int64_t c, const UNetConfig& config) {
  addNorm(out, p + ".norm", c);
  if (config.use_linear_projection)
    addLinear(out, p + ".proj_in", c, c);
  else
    addConv(out, p + ".proj_in", c, c, 1);
  for (int t = 0; t < config.transformer_layers_per_block; ++t) {
    const std::string b = p + ".transformer_blocks." + std::to_string(t);
    addNorm(out, b + ".norm1", c);
    addAttention(out, b + ".attn1", c, c);
    addNorm(out, b + ".norm2", c);
    addAttention(out, b + ".attn2", c, config.cross_attention_dim);
    addNorm(out, b + ".norm3", c);
    addLinear(out, b + ".ff.net.0.proj", c, 8 * c);  // GEGLU: value and gate halves
    addLinear(out, b + ".ff.net.2", 4 * c, c);
  }
  if (config.use_linear_projection)
    addLinear(out, p + ".proj_out", c, c);
  else
    addConv(out, p + ".proj_out", c, c, 1);
}

int64_t dimOf(const io::StateDictIndex& w, const std::string& key, size_t axis) {
  const io::TensorInfo* t = w.find(key);
  if (!t || t->shape.size() <= axis) throw CheckpointError(w.path, key, "needed to infer the UNet config but absent");
  return t->shape[axis];
}

}  // namespace

UNetConfig UNetConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  UNetConfig config;
  ConfigReader r(json, path);
  r.read("in_channels", config.in_channels);
  r.read("out_channels", config.out_channels);
  r.read("block_out_channels", config.block_out_channels);
  r.read("down_block_types", config.down_block_types);
  r.read("up_block_types", config.up_block_types);
  r.read("mid_block_type", config.mid_block_type);
  r.read("layers_per_block", config.layers_per_block);
  r.read("cross_attention_dim", config.cross_attention_dim);
  r.readIntOrList("attention_head_dim", config.attention_head_dim, config.block_out_channels.size());
  r.readIntOrList("num_attention_heads", config.attention_head_dim, config.block_out_channels.size());
  r.read("norm_num_groups", config.norm_num_groups);
  r.read("norm_eps", config.norm_eps);
  r.read("use_linear_projection", config.use_linear_projection);
  r.read("flip_sin_to_cos", config.flip_sin_to_cos);
  r.read("freq_shift", config.freq_shift);
  r.read("sample_size", config.sample_size);
  if (r.has("transformer_layers_per_block")) {
    std::vector<int> layers{1};
    r.readIntOrList("transformer_layers_per_block", layers, config.block_out_channels.size());
    config.transformer_layers_per_block = layers.empty() ? 1 : layers.front();
  }
  r.validate(config);
  return config;
}

nlohmann::json UNetConfig::toJson() const {
  // diffusers writes one head count for all blocks as a plain number (SD 1.5: 8).
  const bool sameHeads = std::all_of(attention_head_dim.begin(), attention_head_dim.end(),
                                     [&](int h) { return h == attention_head_dim.front(); });
  nlohmann::json heads = sameHeads && !attention_head_dim.empty() ? nlohmann::json(attention_head_dim.front())
                                                                  : nlohmann::json(attention_head_dim);
  return {{"_class_name", "UNet2DConditionModel"},
          {"_diffusers_version", "0.35.2"},
          {"act_fn", "silu"},
          {"attention_head_dim", heads},
          {"block_out_channels", block_out_channels},
          {"center_input_sample", false},
          {"class_embed_type", nullptr},
          {"conv_in_kernel", 3},
          {"conv_out_kernel", 3},
          {"cross_attention_dim", cross_attention_dim},
          {"down_block_types", down_block_types},
          {"downsample_padding", 1},
          {"dropout", 0.0},
          {"dual_cross_attention", false},
          {"flip_sin_to_cos", flip_sin_to_cos},
          {"freq_shift", freq_shift},
          {"in_channels", in_channels},
          {"layers_per_block", layers_per_block},
          {"mid_block_scale_factor", 1},
          {"mid_block_type", mid_block_type},
          {"norm_eps", norm_eps},
          {"norm_num_groups", norm_num_groups},
          {"num_attention_heads", nullptr},
          {"num_class_embeds", nullptr},
          {"only_cross_attention", false},
          {"out_channels", out_channels},
          {"resnet_time_scale_shift", "default"},
          {"sample_size", sample_size},
          {"time_embedding_type", "positional"},
          {"transformer_layers_per_block", transformer_layers_per_block},
          {"up_block_types", up_block_types},
          {"upcast_attention", false},
          {"use_linear_projection", use_linear_projection}};
}

UNetConfig UNetConfig::inferFromWeights(const io::StateDictIndex& w, bool encoderOnly) {
  UNetConfig config;
  config.in_channels = static_cast<int>(dimOf(w, "conv_in.weight", 1));
  config.out_channels = encoderOnly ? config.in_channels : static_cast<int>(dimOf(w, "conv_out.weight", 0));
  config.block_out_channels.clear();
  config.down_block_types.clear();
  config.up_block_types.clear();
  for (size_t i = 0;; ++i) {
    const std::string p = "down_blocks." + std::to_string(i);
    if (!w.contains(p + ".resnets.0.conv1.weight")) break;
    config.block_out_channels.push_back(static_cast<int>(dimOf(w, p + ".resnets.0.conv1.weight", 0)));
    config.down_block_types.push_back(w.hasPrefix(p + ".attentions.") ? "CrossAttnDownBlock2D" : "DownBlock2D");
    const std::string u = "up_blocks." + std::to_string(i);
    config.up_block_types.push_back(w.hasPrefix(u + ".attentions.") ? "CrossAttnUpBlock2D" : "UpBlock2D");
  }
  if (config.block_out_channels.empty()) throw CheckpointError(w.path, "no UNet down blocks found");
  int layers = 0;
  while (w.contains("down_blocks.0.resnets." + std::to_string(layers) + ".conv1.weight")) ++layers;
  config.layers_per_block = layers;
  int tlayers = 0;
  for (const auto& t : w.tensors()) {
    const std::string marker = ".transformer_blocks.";
    auto pos = t.name.find(marker);
    if (t.name.rfind("mid_block.attentions.0", 0) == 0 && pos != std::string::npos)
      tlayers = std::max(tlayers, std::stoi(t.name.substr(pos + marker.size())) + 1);
  }
  config.transformer_layers_per_block = std::max(tlayers, 1);
  for (const auto& t : w.tensors()) {
    if (t.name.find(".attn2.to_k.weight") != std::string::npos && t.shape.size() == 2) {
      config.cross_attention_dim = static_cast<int>(t.shape[1]);
      break;
    }
  }
  const io::TensorInfo* projIn = w.find("mid_block.attentions.0.proj_in.weight");
  config.use_linear_projection = projIn && projIn->shape.size() == 2;
  config.norm_num_groups = inferNormGroups(config.block_out_channels);
  config.attention_head_dim.assign(config.block_out_channels.size(), 8);
  // SD 2.x (context 1024) uses 64-channel heads; SD 1.x has 8 heads.
  if (config.cross_attention_dim == 1024) config.attention_head_dim = {5, 10, 20, 20};
  return config;
}

void UNetConfig::validate() const {
  const size_t n = block_out_channels.size();
  if (n == 0) throw ConfigError("UNet config: block_out_channels is empty");
  if (down_block_types.size() != n || up_block_types.size() != n)
    throw ConfigError("UNet config: down_block_types and up_block_types must have one entry per block_out_channels");
  if (layers_per_block < 1) throw ConfigError("UNet config: layers_per_block must be at least 1");
  if (norm_num_groups < 1) throw ConfigError("UNet config: norm_num_groups must be at least 1");
  for (int c : block_out_channels)
    if (c <= 0 || c % norm_num_groups != 0)
      throw ConfigError("UNet config: every block_out_channels entry must be a positive multiple of norm_num_groups (" +
                        std::to_string(norm_num_groups) + ")");
  if (attention_head_dim.size() != n) throw ConfigError("UNet config: attention_head_dim needs one entry per block");
  if (in_channels < 1 || out_channels < 1 || cross_attention_dim < 1)
    throw ConfigError("UNet config: channel counts must be positive");
}

bool UNetConfig::hasCrossAttention(size_t i) const {
  return down_block_types.at(i).find("CrossAttn") != std::string::npos;
}
bool UNetConfig::upHasCrossAttention(size_t i) const {
  return up_block_types.at(i).find("CrossAttn") != std::string::npos;
}

io::LdmUNetLayout UNetConfig::ldmLayout() const {
  validate();
  io::LdmUNetLayout layout;
  layout.levels = static_cast<int>(block_out_channels.size());
  layout.layersPerBlock = layers_per_block;
  for (size_t i = 0; i < block_out_channels.size(); ++i) {
    layout.downHasAttention.push_back(hasCrossAttention(i));
    layout.upHasAttention.push_back(upHasCrossAttention(i));
  }
  return layout;
}

std::vector<ExpectedTensor> UNetConfig::expectedTensors() const {
  validate();
  std::vector<ExpectedTensor> out;
  const auto& ch = block_out_channels;
  const int64_t n = static_cast<int64_t>(ch.size());
  const int64_t temb = timeEmbeddingDim();
  addConv(out, "conv_in", in_channels, ch[0], 3);
  addLinear(out, "time_embedding.linear_1", ch[0], temb);
  addLinear(out, "time_embedding.linear_2", temb, temb);
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = "down_blocks." + std::to_string(i);
    for (int j = 0; j < layers_per_block; ++j) {
      const int64_t in = j == 0 ? (i == 0 ? ch[0] : ch[i - 1]) : ch[i];
      addResnet(out, p + ".resnets." + std::to_string(j), in, ch[i], temb);
      if (hasCrossAttention(i)) addTransformer2D(out, p + ".attentions." + std::to_string(j), ch[i], *this);
    }
    if (i < n - 1) addConv(out, p + ".downsamplers.0.conv", ch[i], ch[i], 3);
  }
  const int64_t last = ch[n - 1];
  addResnet(out, "mid_block.resnets.0", last, last, temb);
  addTransformer2D(out, "mid_block.attentions.0", last, *this);
  addResnet(out, "mid_block.resnets.1", last, last, temb);
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = "up_blocks." + std::to_string(i);
    const int64_t prev = i == 0 ? last : ch[n - i];
    const int64_t outC = ch[n - 1 - i];
    const int64_t skipIn = ch[std::max<int64_t>(n - 2 - i, 0)];
    for (int j = 0; j <= layers_per_block; ++j) {
      const int64_t in = (j == 0 ? prev : outC) + (j == layers_per_block ? skipIn : outC);
      addResnet(out, p + ".resnets." + std::to_string(j), in, outC, temb);
      if (upHasCrossAttention(i)) addTransformer2D(out, p + ".attentions." + std::to_string(j), outC, *this);
    }
    if (i < n - 1) addConv(out, p + ".upsamplers.0.conv", outC, outC, 3);
  }
  addNorm(out, "conv_norm_out", ch[0]);
  addConv(out, "conv_out", ch[0], out_channels, 3);
  return out;
}

}  // namespace sm::models
