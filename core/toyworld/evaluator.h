#pragma once
// The toy world's evaluator: a small CLIP-style image/text model trained
// contrastively on its own split of the world (seed 2) with its own text
// tower: never the text encoder the models generate with, so the scores do
// not flatter them. Used for CLIP-I-like fidelity (image-image cosine),
// CLIP-T-like adherence (image-text cosine) and zero-shot classification.
// One safetensors file: the weights, and `__metadata__` with format
// "stillmoving-toy-evaluator" and its config; the tokenizer sits beside it.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/models/clip/clip_text_model.h"
#include "core/text/clip_tokenizer.h"

namespace sm::toyworld {

struct EvaluatorConfig {
  int embedDim = 128;
  std::vector<int> imageWidths{32, 64, 128, 128};
  models::CLIPTextConfig text;

  nlohmann::json toJson() const;
  static EvaluatorConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
};

class ToyEvaluatorImpl : public torch::nn::Module {
 public:
  explicit ToyEvaluatorImpl(const EvaluatorConfig& config);
  /// [B, 3, H, W] in [-1, 1] -> [B, D], unit length.
  torch::Tensor encodeImages(const torch::Tensor& pixels);
  /// [B, 77] ids -> [B, D], unit length (pooled at the first end-of-text token, as CLIP).
  torch::Tensor encodeTexts(const torch::Tensor& ids);
  const EvaluatorConfig& config() const { return config_; }

  models::CLIPTextModel text_model{nullptr};
  torch::nn::Linear text_projection{nullptr}, visual_projection{nullptr};
  torch::nn::Sequential vision{nullptr};
  torch::Tensor logit_scale;

 private:
  EvaluatorConfig config_;
};
TORCH_MODULE(ToyEvaluator);

/// The evaluator with its tokenizer, ready to score.
struct Evaluator {
  ToyEvaluator model{nullptr};
  text::CLIPTokenizer tokenizer;

  /// Unit embeddings, no gradients; images as [B, 3, H, W] in [-1, 1] (resized to 64 when other).
  torch::Tensor images(const torch::Tensor& pixels);
  torch::Tensor texts(const std::vector<std::string>& captions);
};

inline constexpr const char* kEvaluatorFormat = "stillmoving-toy-evaluator";

void saveEvaluator(const std::filesystem::path& file, ToyEvaluatorImpl& model);
/// `file` and the `tokenizer/` folder beside it. Throws CheckpointError naming
/// the file when it is not an evaluator.
Evaluator loadEvaluator(const std::filesystem::path& file);

}  // namespace sm::toyworld
