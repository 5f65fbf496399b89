#include "core/models/clip/clip_model.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace sm::models {

namespace fs = std::filesystem;

namespace {

CLIPEncoderShape visionShape(const CLIPVisionConfig& c) {
  CLIPEncoderShape shape;
  shape.hidden = c.hidden_size;
  shape.intermediate = c.intermediate_size;
  shape.heads = c.num_attention_heads;
  shape.layers = c.num_hidden_layers;
  shape.layerNormEps = c.layer_norm_eps;
  shape.quickGelu = c.hidden_act == "quick_gelu";
  shape.causal = false;  // every patch sees every patch
  return shape;
}

}  // namespace

CLIPVisionEmbeddingsImpl::CLIPVisionEmbeddingsImpl(const CLIPVisionConfig& c) {
  class_embedding = register_parameter("class_embedding", torch::randn({c.hidden_size}));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size).stride(c.patch_size).bias(false)));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.numPatches() + 1, c.hidden_size));
}

torch::Tensor CLIPVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  const int64_t b = pixels.size(0);
  const torch::Tensor patches = patch_embedding(pixels).flatten(2).transpose(1, 2);  // [b, patches, hidden]
  const torch::Tensor cls = class_embedding.view({1, 1, -1}).expand({b, 1, class_embedding.size(0)});
  return torch::cat({cls.to(patches.dtype()), patches}, 1) + position_embedding->weight;  // [b, 1 + patches, hidden]
}

CLIPVisionTransformerImpl::CLIPVisionTransformerImpl(const CLIPVisionConfig& c)
    : numLayers_(c.num_hidden_layers), imageSize_(c.image_size) {
  const auto ln = torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps);
  embeddings = register_module("embeddings", CLIPVisionEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", torch::nn::LayerNorm(ln));
  encoder = register_module("encoder", CLIPEncoder(visionShape(c)));
  post_layernorm = register_module("post_layernorm", torch::nn::LayerNorm(ln));
}

torch::Tensor CLIPVisionTransformerImpl::forward(const torch::Tensor& pixels) {
  TORCH_CHECK(pixels.dim() == 4 && pixels.size(2) == imageSize_ && pixels.size(3) == imageSize_,
              "CLIP vision input must be [b, 3, ", imageSize_, ", ", imageSize_, "], got ", pixels.sizes());
  const torch::Tensor h = encoder(pre_layrnorm(embeddings(pixels)), numLayers_);  // [b, 1 + patches, hidden]
  return post_layernorm(h.select(1, 0));                                          // [b, hidden]
}

CLIPModelImpl::CLIPModelImpl(const CLIPModelConfig& config) : config_(config) {
  config.text.validate();
  config.vision.validate();
  text_model = register_module("text_model", CLIPTextTransformer(config.text));
  vision_model = register_module("vision_model", CLIPVisionTransformer(config.vision));
  visual_projection = register_module(
      "visual_projection",
      torch::nn::Linear(torch::nn::LinearOptions(config.vision.hidden_size, config.projection_dim).bias(false)));
  text_projection = register_module(
      "text_projection",
      torch::nn::Linear(torch::nn::LinearOptions(config.text.hidden_size, config.projection_dim).bias(false)));
  logit_scale = register_parameter("logit_scale", torch::tensor(2.6592f));
}

torch::Tensor CLIPModelImpl::imageFeatures(const torch::Tensor& pixels) {
  return visual_projection(vision_model(pixels));
}

torch::Tensor CLIPModelImpl::textFeatures(const torch::Tensor& inputIds) {
  const torch::Tensor hidden = text_model(inputIds, 0);  // [b, L, hidden], final_layer_norm applied
  // transformers: eos_token_id 2 (configs from before the fix) pools at the
  // highest id; otherwise at the first end-of-text token.
  const torch::Tensor at =
      config_.eos_token_id == 2 ? inputIds.argmax(1) : (inputIds == config_.eos_token_id).to(torch::kInt).argmax(1);
  const torch::Tensor rows = torch::arange(inputIds.size(0), torch::kLong);
  return text_projection(hidden.index({rows, at}));  // [b, projection_dim]
}

CLIPModel loadCLIPModel(const std::string& folder, torch::Device device) {
  const fs::path dir(folder);
  const fs::path configPath = dir / "config.json";
  const fs::path weightsPath = dir / "model.safetensors";
  if (!fs::is_directory(dir))
    throw CheckpointError(folder,
                          "is not a folder: give a transformers CLIPModel folder (config.json + model.safetensors)");
  if (!fs::exists(configPath))
    throw CheckpointError(configPath.string(), "missing: not a transformers CLIPModel folder");
  if (!fs::exists(weightsPath))
    throw CheckpointError(weightsPath.string(),
                          "missing (only safetensors weights are read: save the model with safe_serialization=True)");
  const CLIPModelConfig config = CLIPModelConfig::fromJson(io::readJsonFile(configPath.string()), configPath.string());
  CLIPModel model(config);
  model->eval();
  LoadOptions options;
  options.target = torch::TensorOptions().device(device).dtype(torch::kFloat32);
  options.ignore = [](const std::string& key) { return key.find("position_ids") != std::string::npos; };
  loadWeights(*model, io::readSafetensors(weightsPath.string()), options);
  return model;
}

}  // namespace sm::models
