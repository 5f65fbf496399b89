#pragma once
// transformers' CLIPModel (both towers and their projections), the real CLIP
// the evaluation scores videos with (CLIP-I: frame vs reference image, CLIP-T:
// frame vs prompt). Parameter names as transformers saves them:
// vision_model.embeddings.{class_embedding, patch_embedding, position_embedding},
// vision_model.{pre_layrnorm, encoder.layers.N.…, post_layernorm},
// text_model.… (as CLIPTextModel), visual_projection, text_projection, logit_scale.
// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py
//      (CLIPVisionEmbeddings, CLIPVisionTransformer, CLIPModel.get_{image,text}_features)
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>

#include "core/models/clip/clip_text_model.h"
#include "core/models/clip/clip_vision_config.h"

namespace sm::models {

class CLIPVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit CLIPVisionEmbeddingsImpl(const CLIPVisionConfig& config);
  /// [b, 3, S, S] normalised pixels -> [b, 1 + patches, hidden]: the class token, then the patches.
  torch::Tensor forward(const torch::Tensor& pixels);
  torch::Tensor class_embedding;
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(CLIPVisionEmbeddings);

class CLIPVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit CLIPVisionTransformerImpl(const CLIPVisionConfig& config);
  /// [b, 3, S, S] -> [b, hidden]: post_layernorm of the class token (transformers' pooler_output).
  torch::Tensor forward(const torch::Tensor& pixels);
  CLIPVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr};  // sic: transformers' name
  CLIPEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};

 private:
  int64_t numLayers_;
  int64_t imageSize_;
};
TORCH_MODULE(CLIPVisionTransformer);

class CLIPModelImpl : public torch::nn::Module {
 public:
  explicit CLIPModelImpl(const CLIPModelConfig& config);
  /// [b, 3, S, S] pixels already preprocessed (clip_preprocess.h) -> [b, projection_dim], not normalised.
  torch::Tensor imageFeatures(const torch::Tensor& pixels);
  /// [b, L] token ids -> [b, projection_dim], not normalised: pooled at the first end-of-text token.
  torch::Tensor textFeatures(const torch::Tensor& inputIds);
  const CLIPModelConfig& config() const { return config_; }

  CLIPTextTransformer text_model{nullptr};
  CLIPVisionTransformer vision_model{nullptr};
  torch::nn::Linear visual_projection{nullptr}, text_projection{nullptr};
  torch::Tensor logit_scale;

 private:
  CLIPModelConfig config_;
};
TORCH_MODULE(CLIPModel);

/// A transformers CLIPModel folder: config.json and model.safetensors (or
/// pytorch_model.bin is refused with a message: convert it). Throws
/// CheckpointError / ConfigError naming the file and what to do.
CLIPModel loadCLIPModel(const std::string& folder, torch::Device device = torch::kCPU);

}  // namespace sm::models
