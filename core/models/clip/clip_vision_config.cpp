#include "core/models/clip/clip_vision_config.h"

#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {

CLIPVisionConfig CLIPVisionConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  CLIPVisionConfig config;
  ConfigReader r(json, path);
  r.read("hidden_size", config.hidden_size);
  r.read("intermediate_size", config.intermediate_size);
  r.read("num_hidden_layers", config.num_hidden_layers);
  r.read("num_attention_heads", config.num_attention_heads);
  r.read("num_channels", config.num_channels);
  r.read("image_size", config.image_size);
  r.read("patch_size", config.patch_size);
  r.read("layer_norm_eps", config.layer_norm_eps);
  r.read("hidden_act", config.hidden_act);
  r.validate(config);
  return config;
}

void CLIPVisionConfig::validate() const {
  if (hidden_size < 1 || intermediate_size < 1 || num_hidden_layers < 1 || num_channels < 1 || image_size < 1 ||
      patch_size < 1)
    throw ConfigError("CLIP vision config: sizes must be positive");
  if (num_attention_heads < 1 || hidden_size % num_attention_heads != 0)
    throw ConfigError("CLIP vision config: hidden_size must be a multiple of num_attention_heads");
  if (image_size % patch_size != 0)
    throw ConfigError("CLIP vision config: image_size must be a multiple of patch_size");
  if (hidden_act != "quick_gelu" && hidden_act != "gelu")
    throw ConfigError("CLIP vision config: hidden_act '" + hidden_act + "' is not supported (quick_gelu, gelu)");
}

CLIPModelConfig CLIPModelConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  if (!json.is_object() || !json.contains("text_config") || !json.contains("vision_config"))
    throw ConfigError(path +
                      ": not a CLIPModel config (no text_config and vision_config); give the folder of a "
                      "transformers CLIPModel (e.g. openai/clip-vit-base-patch32)");
  CLIPModelConfig config;
  // transformers' CLIPTextConfig defaults, where ours are SD's (ViT-L/14) text encoder's.
  nlohmann::json text = {{"hidden_size", 512}, {"intermediate_size", 2048}, {"num_attention_heads", 8}};
  text.update(json.at("text_config"));
  config.text = CLIPTextConfig::fromJson(text, path + " (text_config)");
  if (config.text.hidden_act != "quick_gelu" && config.text.hidden_act != "gelu")
    throw ConfigError(path + ": text hidden_act '" + config.text.hidden_act + "' is not supported (quick_gelu, gelu)");
  config.vision = CLIPVisionConfig::fromJson(json.at("vision_config"), path + " (vision_config)");
  ConfigReader r(json, path);
  r.read("projection_dim", config.projection_dim);
  ConfigReader t(json.at("text_config"), path + " (text_config)");
  t.read("eos_token_id", config.eos_token_id);
  if (config.projection_dim < 1) throw ConfigError(path + ": projection_dim must be positive");
  return config;
}

}  // namespace sm::models
