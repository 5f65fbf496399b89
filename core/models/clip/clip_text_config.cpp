#include "core/models/clip/clip_text_config.h"

#include "core/models/config_json.h"
#include "core/util/error.h"

namespace sm::models {

CLIPTextConfig CLIPTextConfig::fromJson(const nlohmann::json& json, const std::string& path) {
  CLIPTextConfig config;
  ConfigReader r(json, path);
  r.read("vocab_size", config.vocab_size);
  r.read("hidden_size", config.hidden_size);
  r.read("intermediate_size", config.intermediate_size);
  r.read("num_hidden_layers", config.num_hidden_layers);
  r.read("num_attention_heads", config.num_attention_heads);
  r.read("max_position_embeddings", config.max_position_embeddings);
  r.read("layer_norm_eps", config.layer_norm_eps);
  r.read("hidden_act", config.hidden_act);
  r.validate(config);
  return config;
}

nlohmann::json CLIPTextConfig::toJson() const {
  // bos/eos/pad 0/2/1 are the values SD 1.5's text encoder ships with; for
  // eos_token_id 2 transformers pools at the highest input id, which is EOS in
  // CLIP's vocabulary and in a reduced one (text/reduced_tokenizer.h) alike.
  return {{"architectures", {"CLIPTextModel"}},
          {"attention_dropout", 0.0},
          {"bos_token_id", 0},
          {"dropout", 0.0},
          {"eos_token_id", 2},
          {"hidden_act", hidden_act},
          {"hidden_size", hidden_size},
          {"initializer_factor", 1.0},
          {"initializer_range", 0.02},
          {"intermediate_size", intermediate_size},
          {"layer_norm_eps", layer_norm_eps},
          {"max_position_embeddings", max_position_embeddings},
          {"model_type", "clip_text_model"},
          {"num_attention_heads", num_attention_heads},
          {"num_hidden_layers", num_hidden_layers},
          {"pad_token_id", 1},
          {"projection_dim", 768},
          {"transformers_version", "4.57.1"},
          {"vocab_size", vocab_size}};
}

CLIPTextConfig CLIPTextConfig::inferFromWeights(const io::StateDictIndex& w) {
  CLIPTextConfig config;
  const io::TensorInfo* tok = w.find("text_model.embeddings.token_embedding.weight");
  const io::TensorInfo* pos = w.find("text_model.embeddings.position_embedding.weight");
  const io::TensorInfo* fc1 = w.find("text_model.encoder.layers.0.mlp.fc1.weight");
  if (!tok || !pos || !fc1 || tok->shape.size() != 2 || pos->shape.size() != 2 || fc1->shape.size() != 2)
    throw CheckpointError(w.path, "text_model.embeddings.token_embedding.weight",
                          "CLIP text encoder weights incomplete: cannot infer its config");
  config.vocab_size = static_cast<int>(tok->shape[0]);
  config.hidden_size = static_cast<int>(tok->shape[1]);
  config.max_position_embeddings = static_cast<int>(pos->shape[0]);
  config.intermediate_size = static_cast<int>(fc1->shape[0]);
  int layers = 0;
  while (w.contains("text_model.encoder.layers." + std::to_string(layers) + ".mlp.fc1.weight")) ++layers;
  config.num_hidden_layers = layers;
  config.num_attention_heads = std::max(1, config.hidden_size / 64);
  return config;
}

void CLIPTextConfig::validate() const {
  if (vocab_size < 1 || hidden_size < 1 || intermediate_size < 1 || num_hidden_layers < 1 ||
      max_position_embeddings < 1)
    throw ConfigError("CLIP text config: sizes must be positive");
  if (num_attention_heads < 1 || hidden_size % num_attention_heads != 0)
    throw ConfigError("CLIP text config: hidden_size must be a multiple of num_attention_heads");
}

std::vector<ExpectedTensor> CLIPTextConfig::expectedTensors() const {
  validate();
  std::vector<ExpectedTensor> out;
  const int64_t h = hidden_size;
  out.push_back({"text_model.embeddings.token_embedding.weight", {vocab_size, h}});
  out.push_back({"text_model.embeddings.position_embedding.weight", {max_position_embeddings, h}});
  for (int l = 0; l < num_hidden_layers; ++l) {
    const std::string p = "text_model.encoder.layers." + std::to_string(l);
    for (const char* proj : {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj", ".self_attn.out_proj"})
      addLinear(out, p + proj, h, h);
    addNorm(out, p + ".layer_norm1", h);
    addLinear(out, p + ".mlp.fc1", h, intermediate_size);
    addLinear(out, p + ".mlp.fc2", intermediate_size, h);
    addNorm(out, p + ".layer_norm2", h);
  }
  addNorm(out, "text_model.final_layer_norm", h);
  return out;
}

}  // namespace sm::models
