#include "core/models/clip/clip_text_model.h"

#include <ATen/ops/scaled_dot_product_attention.h>
#include <torch/nn/functional/activation.h>

#include <filesystem>

#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace sm::models {

namespace F = torch::nn::functional;

// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPAttention, L278-L350)
CLIPEncoderShape CLIPEncoderShape::of(const CLIPTextConfig& config) {
  CLIPEncoderShape shape;
  shape.hidden = config.hidden_size;
  shape.intermediate = config.intermediate_size;
  shape.heads = config.num_attention_heads;
  shape.layers = config.num_hidden_layers;
  shape.layerNormEps = config.layer_norm_eps;
  shape.quickGelu = config.hidden_act == "quick_gelu";
  shape.causal = true;
  return shape;
}

CLIPAttentionImpl::CLIPAttentionImpl(int64_t hidden, int64_t heads, bool causal) : heads_(heads), causal_(causal) {
  q_proj = register_module("q_proj", torch::nn::Linear(hidden, hidden));
  k_proj = register_module("k_proj", torch::nn::Linear(hidden, hidden));
  v_proj = register_module("v_proj", torch::nn::Linear(hidden, hidden));
  out_proj = register_module("out_proj", torch::nn::Linear(hidden, hidden));
}

torch::Tensor CLIPAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  const int64_t d = c / heads_;
  auto q = q_proj(x).view({b, n, heads_, d}).transpose(1, 2);  // [b, h, L, d]
  auto k = k_proj(x).view({b, n, heads_, d}).transpose(1, 2);  // [b, h, L, d]
  auto v = v_proj(x).view({b, n, heads_, d}).transpose(1, 2);  // [b, h, L, d]
  // Scale d^-1/2 (SDPA's default, as CLIP's); the causal mask replaces transformers'
  // additive -inf mask built by _create_4d_causal_attention_mask.
  auto out = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                              /*is_causal=*/causal_);  // [b, h, L, d]
  out = out.transpose(1, 2).reshape({b, n, c});                        // [b, L, c]
  return out_proj(out);
}

// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPMLP, L353-L365)
CLIPMLPImpl::CLIPMLPImpl(int64_t hidden, int64_t intermediate, bool quickGelu) : quickGelu_(quickGelu) {
  fc1 = register_module("fc1", torch::nn::Linear(hidden, intermediate));
  fc2 = register_module("fc2", torch::nn::Linear(intermediate, hidden));
}

torch::Tensor CLIPMLPImpl::forward(const torch::Tensor& x) {
  auto h = fc1(x);
  // quick_gelu: x * sigmoid(1.702 x) (transformers activations.py QuickGELUActivation, L113).
  h = quickGelu_ ? h * torch::sigmoid(1.702 * h) : F::gelu(h);
  return fc2(h);
}

// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPEncoderLayer, L368-L416)
CLIPEncoderLayerImpl::CLIPEncoderLayerImpl(const CLIPEncoderShape& shape) {
  const int64_t h = shape.hidden;
  const auto lnOptions = torch::nn::LayerNormOptions({h}).eps(shape.layerNormEps);
  self_attn = register_module("self_attn", CLIPAttention(h, shape.heads, shape.causal));
  layer_norm1 = register_module("layer_norm1", torch::nn::LayerNorm(lnOptions));
  mlp = register_module("mlp", CLIPMLP(h, shape.intermediate, shape.quickGelu));
  layer_norm2 = register_module("layer_norm2", torch::nn::LayerNorm(lnOptions));
}

torch::Tensor CLIPEncoderLayerImpl::forward(const torch::Tensor& x) {
  auto h = x + self_attn(layer_norm1(x));
  return h + mlp(layer_norm2(h));
}

// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPTextEmbeddings, L214-L250)
CLIPTextEmbeddingsImpl::CLIPTextEmbeddingsImpl(const CLIPTextConfig& config) {
  token_embedding = register_module("token_embedding", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  position_embedding =
      register_module("position_embedding", torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
}

torch::Tensor CLIPTextEmbeddingsImpl::forward(const torch::Tensor& inputIds) {
  const int64_t length = inputIds.size(1);
  // position_embedding.weight[0..L-1], broadcast over the batch: [L, hidden].
  return token_embedding(inputIds) + position_embedding->weight.narrow(0, 0, length);  // [b, L, hidden]
}

CLIPEncoderImpl::CLIPEncoderImpl(const CLIPEncoderShape& shape) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < shape.layers; ++i) layers->push_back(CLIPEncoderLayer(shape));
}

torch::Tensor CLIPEncoderImpl::forward(torch::Tensor x, int64_t numLayers) {
  for (int64_t i = 0; i < numLayers; ++i) x = layers[i]->as<CLIPEncoderLayer>()->forward(x);
  return x;
}

// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPTextTransformer, L571-L659)
CLIPTextTransformerImpl::CLIPTextTransformerImpl(const CLIPTextConfig& config)
    : numLayers_(config.num_hidden_layers), maxPositions_(config.max_position_embeddings) {
  embeddings = register_module("embeddings", CLIPTextEmbeddings(config));
  encoder = register_module("encoder", CLIPEncoder(CLIPEncoderShape::of(config)));
  final_layer_norm = register_module(
      "final_layer_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
}

torch::Tensor CLIPTextTransformerImpl::forward(const torch::Tensor& inputIds, int64_t clipSkip) {
  TORCH_CHECK(inputIds.dim() == 2, "CLIP input_ids must be [batch, length], got ", inputIds.sizes());
  TORCH_CHECK(inputIds.size(1) >= 1 && inputIds.size(1) <= maxPositions_, "CLIP input length ", inputIds.size(1),
              " outside 1..", maxPositions_);
  TORCH_CHECK(clipSkip >= 0 && clipSkip <= numLayers_, "clip skip ", clipSkip, " outside 0..", numLayers_);
  // hidden_states[i] is the input of layer i (index 0: the embeddings), so
  // hidden_states[-(k+1)] is the output of layer numLayers - k: the later layers are not run.
  auto h = encoder(embeddings(inputIds), numLayers_ - clipSkip);  // [b, L, hidden]
  return final_layer_norm(h);
}

CLIPTextModelImpl::CLIPTextModelImpl(const CLIPTextConfig& config) : config_(config) {
  config.validate();
  if (config.hidden_act != "quick_gelu" && config.hidden_act != "gelu")
    throw ConfigError("CLIP text config: hidden_act '" + config.hidden_act + "' is not supported (quick_gelu, gelu)");
  text_model = register_module("text_model", CLIPTextTransformer(config));
}

torch::Tensor CLIPTextModelImpl::forward(const torch::Tensor& inputIds, int64_t clipSkip) {
  return text_model(inputIds, clipSkip);
}

CLIPTextModel loadCLIPTextModel(const io::StateDictIndex& weights, const CLIPTextConfig& config, torch::Device device,
                                torch::Dtype dtype) {
  CLIPTextModel model(config);
  model->eval();
  LoadOptions options;
  options.target = torch::TensorOptions().device(device).dtype(dtype);  // converted tensor by tensor
  options.ignore = [](const std::string& key) { return key == "text_model.embeddings.position_ids"; };
  loadWeights(*model, weights, options);
  return model;
}

CLIPTextModel loadCLIPTextModel(const io::OpenedComponent& part, torch::Device device, torch::Dtype dtype,
                                const std::optional<CLIPTextConfig>& configIfNone) {
  const CLIPTextConfig config = part.config    ? CLIPTextConfig::fromJson(*part.config, part.configPath)
                                : configIfNone ? *configIfNone
                                               : CLIPTextConfig::inferFromWeights(*part.weights);
  return loadCLIPTextModel(*part.weights, config, device, dtype);
}

CLIPTextModel loadCLIPTextModelFromFolder(const std::string& folder, torch::Device device, torch::Dtype dtype) {
  namespace fs = std::filesystem;
  const fs::path dir(folder);
  const std::string configPath = (dir / "config.json").string();
  if (!fs::exists(configPath)) throw CheckpointError(configPath, "missing: a text_encoder folder has a config.json");
  const io::OpenedModel model = io::openModel(folder);
  const io::OpenedComponent* part = model.find(io::ModelKind::TextEncoder);
  if (!part)
    throw CheckpointError(folder,
                          "is a " + std::string(io::modelKindName(model.info.kind)) + ", not a CLIP text encoder");
  return loadCLIPTextModel(*part, device, dtype);
}

CLIPTextModel loadCLIPTextModelFromLdm(const io::StateDictIndex& checkpoint, torch::Device device, torch::Dtype dtype,
                                       const std::optional<CLIPTextConfig>& config) {
  const io::LdmComponents parts = io::splitLdmCheckpoint(checkpoint);
  const CLIPTextConfig resolved = config ? *config : CLIPTextConfig::inferFromWeights(parts.textEncoder);
  return loadCLIPTextModel(parts.textEncoder, resolved, device, dtype);
}

}  // namespace sm::models
