#include "core/toyworld/evaluator.h"

#include <torch/torch.h>

#include "core/engine/tensor_writer.h"
#include "core/io/safetensors.h"
#include "core/models/load_weights.h"
#include "core/toyworld/stage_files.h"
#include "core/toyworld/toy_models.h"
#include "core/util/error.h"

namespace sm::toyworld {

nlohmann::json EvaluatorConfig::toJson() const {
  return {{"embed_dim", embedDim},
          {"image_widths", imageWidths},
          {"text",
           {{"vocab_size", text.vocab_size},
            {"hidden_size", text.hidden_size},
            {"intermediate_size", text.intermediate_size},
            {"num_hidden_layers", text.num_hidden_layers},
            {"num_attention_heads", text.num_attention_heads},
            {"max_position_embeddings", text.max_position_embeddings}}}};
}

EvaluatorConfig EvaluatorConfig::fromJson(const nlohmann::json& j, const std::string& pathForErrors) {
  try {
    EvaluatorConfig c;
    c.embedDim = j.at("embed_dim").get<int>();
    c.imageWidths = j.at("image_widths").get<std::vector<int>>();
    const auto& t = j.at("text");
    c.text.vocab_size = t.at("vocab_size").get<int>();
    c.text.hidden_size = t.at("hidden_size").get<int>();
    c.text.intermediate_size = t.at("intermediate_size").get<int>();
    c.text.num_hidden_layers = t.at("num_hidden_layers").get<int>();
    c.text.num_attention_heads = t.at("num_attention_heads").get<int>();
    c.text.max_position_embeddings = t.at("max_position_embeddings").get<int>();
    c.text.validate();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(pathForErrors, std::string("evaluator config: ") + e.what());
  }
}

ToyEvaluatorImpl::ToyEvaluatorImpl(const EvaluatorConfig& config) : config_(config) {
  text_model = register_module("text_model", models::CLIPTextModel(config.text));
  text_projection = register_module(
      "text_projection",
      torch::nn::Linear(torch::nn::LinearOptions(config.text.hidden_size, config.embedDim).bias(false)));
  torch::nn::Sequential tower;
  int in = 3;
  for (int width : config.imageWidths) {
    // Stride-2 conv, norm, SiLU: 64 -> 32 -> 16 -> 8 -> 4.
    tower->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, width, 3).stride(2).padding(1)));
    tower->push_back(torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, width)));
    tower->push_back(torch::nn::SiLU());
    tower->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(width, width, 3).padding(1)));
    tower->push_back(torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, width)));
    tower->push_back(torch::nn::SiLU());
    in = width;
  }
  vision = register_module("vision", tower);
  // Pooled by flattening the 4x4 map: where the shape is matters to captions' motions, not here,
  // but flattening keeps the layout cues a global average would lose.
  visual_projection = register_module(
      "visual_projection", torch::nn::Linear(torch::nn::LinearOptions(in * 16, config.embedDim).bias(false)));
  logit_scale = register_parameter("logit_scale", torch::full({}, std::log(10.0)));
}

torch::Tensor ToyEvaluatorImpl::encodeImages(const torch::Tensor& pixels) {
  torch::Tensor x = pixels;
  if (x.size(-1) != 64 || x.size(-2) != 64)
    x = torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{64, 64}).mode(torch::kArea));
  const torch::Tensor features = vision->forward(x).flatten(1);
  return torch::nn::functional::normalize(visual_projection->forward(features),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor ToyEvaluatorImpl::encodeTexts(const torch::Tensor& ids) {
  const torch::Tensor hidden = text_model->forward(ids);  // [B, 77, h]
  const torch::Tensor eos = ids.argmax(1);                // end-of-text has the highest id
  const torch::Tensor pooled = hidden.index({torch::arange(ids.size(0)), eos});
  return torch::nn::functional::normalize(text_projection->forward(pooled),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor Evaluator::images(const torch::Tensor& pixels) {
  torch::NoGradGuard noGrad;
  return model->encodeImages(pixels.to(torch::kFloat32));
}

torch::Tensor Evaluator::texts(const std::vector<std::string>& captions) {
  torch::NoGradGuard noGrad;
  return model->encodeTexts(tokenize(tokenizer, captions));
}

void saveEvaluator(const std::filesystem::path& file, ToyEvaluatorImpl& model) {
  std::filesystem::create_directories(file.parent_path());
  engine::writeTensors(file.string(), moduleTensors(model),
                       {{"format", kEvaluatorFormat}, {"config", model.config().toJson().dump()}});
}

Evaluator loadEvaluator(const std::filesystem::path& file) {
  const io::StateDictIndex index = io::readSafetensors(file.string());
  const auto format = index.metadata.find("format");
  const auto config = index.metadata.find("config");
  if (format == index.metadata.end() || format->second != kEvaluatorFormat || config == index.metadata.end())
    throw CheckpointError(file.string(), "not a toy-world evaluator (its metadata has no format \"" +
                                             std::string(kEvaluatorFormat) + "\")");
  ToyEvaluator model(EvaluatorConfig::fromJson(nlohmann::json::parse(config->second), file.string()));
  models::loadWeights(*model, index);
  freeze(*model);
  return Evaluator{model, text::CLIPTokenizer::fromDiffusersFolder(file.parent_path() / "tokenizer")};
}

}  // namespace sm::toyworld
