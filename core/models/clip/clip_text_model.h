#pragma once
// CLIPTextModel (the SD 1.5 text encoder) with transformers' parameter names:
// text_model.embeddings.{token,position}_embedding,
// text_model.encoder.layers.N.{self_attn.{q,k,v,out}_proj, layer_norm1, mlp.fc1, mlp.fc2, layer_norm2},
// text_model.final_layer_norm.
// The position_ids buffer of transformers is not a module buffer here: the
// positions are always 0..L-1, so the file's copy is ignored (recomputed).
// ref: transformers@4.57.1 src/transformers/models/clip/modeling_clip.py (CLIPTextTransformer, L571-L659)
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <optional>
#include <string>

#include "core/io/model_opener.h"
#include "core/io/state_dict_index.h"
#include "core/models/clip/clip_text_config.h"

namespace sm::models {

/// The sizes of a CLIP transformer tower; the text tower is causal, the vision tower is not.
struct CLIPEncoderShape {
  int64_t hidden = 768, intermediate = 3072, heads = 12, layers = 12;
  double layerNormEps = 1e-5;
  bool quickGelu = true;
  bool causal = true;
  static CLIPEncoderShape of(const CLIPTextConfig& config);
};

class CLIPAttentionImpl : public torch::nn::Module {
 public:
  CLIPAttentionImpl(int64_t hidden, int64_t heads, bool causal = true);
  /// x: [b, L, hidden]; causal: token i sees tokens j <= i, else every token.
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t heads_;
  bool causal_;
};
TORCH_MODULE(CLIPAttention);

class CLIPMLPImpl : public torch::nn::Module {
 public:
  CLIPMLPImpl(int64_t hidden, int64_t intermediate, bool quickGelu);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  bool quickGelu_;
};
TORCH_MODULE(CLIPMLP);

class CLIPEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit CLIPEncoderLayerImpl(const CLIPEncoderShape& shape);
  /// Pre-LN: x + attn(ln1(x)), then + mlp(ln2(.)).
  torch::Tensor forward(const torch::Tensor& x);
  CLIPAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr};
  CLIPMLP mlp{nullptr};
  torch::nn::LayerNorm layer_norm2{nullptr};
};
TORCH_MODULE(CLIPEncoderLayer);

class CLIPTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit CLIPTextEmbeddingsImpl(const CLIPTextConfig& config);
  /// ids: [b, L] int64 -> [b, L, hidden], token plus position embedding.
  torch::Tensor forward(const torch::Tensor& inputIds);
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(CLIPTextEmbeddings);

class CLIPEncoderImpl : public torch::nn::Module {
 public:
  explicit CLIPEncoderImpl(const CLIPEncoderShape& shape);
  /// Runs the first `numLayers` layers.
  torch::Tensor forward(torch::Tensor x, int64_t numLayers);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(CLIPEncoder);

class CLIPTextTransformerImpl : public torch::nn::Module {
 public:
  explicit CLIPTextTransformerImpl(const CLIPTextConfig& config);
  torch::Tensor forward(const torch::Tensor& inputIds, int64_t clipSkip);
  CLIPTextEmbeddings embeddings{nullptr};
  CLIPEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  int64_t numLayers_;
  int64_t maxPositions_;
};
TORCH_MODULE(CLIPTextTransformer);

class CLIPTextModelImpl : public torch::nn::Module {
 public:
  /// Throws ConfigError for an invalid config or an activation other than quick_gelu / gelu.
  explicit CLIPTextModelImpl(const CLIPTextConfig& config);

  /// inputIds: [b, L] int64 with L <= max_position_embeddings (77 for SD), padded
  /// by the tokenizer; no padding mask is applied (SD attends to pad tokens causally).
  /// clipSkip 0: last_hidden_state, i.e. final_layer_norm(output of the last layer).
  /// clipSkip k > 0: diffusers' `clip_skip=k`: final_layer_norm(hidden_states[-(k+1)]),
  /// the output of layer num_hidden_layers - k (k = 1 is the penultimate layer,
  /// what A1111 calls "clip skip 2"). Returns [b, L, hidden].
  /// ref: diffusers@0.35.2 src/diffusers/pipelines/stable_diffusion/pipeline_stable_diffusion.py
  ///      (encode_prompt, clip_skip, L422-L437)
  torch::Tensor forward(const torch::Tensor& inputIds, int64_t clipSkip = 0);

  const CLIPTextConfig& config() const { return config_; }

  CLIPTextTransformer text_model{nullptr};

 private:
  CLIPTextConfig config_;
};
TORCH_MODULE(CLIPTextModel);

/// Builds the model on `device` / `dtype` and copies the diffusers-named
/// (`text_model.…`) weights into it. Throws CheckpointError naming missing
/// keys, ShapeError on a mismatch; `text_model.embeddings.position_ids` is ignored.
CLIPTextModel loadCLIPTextModel(const io::StateDictIndex& diffusersNamed, const CLIPTextConfig& config,
                                torch::Device device, torch::Dtype dtype);

/// From an opened part (io::OpenedModel's "text_encoder"): its config.json when
/// it has one, else `configIfNone`, else the config inferred from the weights.
CLIPTextModel loadCLIPTextModel(const io::OpenedComponent& part, torch::Device device, torch::Dtype dtype,
                                const std::optional<CLIPTextConfig>& configIfNone = std::nullopt);

/// From a transformers component folder (`text_encoder/`: config.json + model.safetensors or pytorch_model.bin).
CLIPTextModel loadCLIPTextModelFromFolder(const std::string& folder, torch::Device device, torch::Dtype dtype);

/// From an LDM single-file checkpoint (`cond_stage_model.transformer.…`) split by
/// io::splitLdmCheckpoint. Without `config` the sizes are inferred from the
/// weights; the head count cannot be, and inferFromWeights assumes 64-wide
/// heads (right for SD 1.5's ViT-L/14), so pass a config for other models.
CLIPTextModel loadCLIPTextModelFromLdm(const io::StateDictIndex& checkpoint, torch::Device device, torch::Dtype dtype,
                                       const std::optional<CLIPTextConfig>& config = std::nullopt);

}  // namespace sm::models
