#include "core/evaluation/embedder.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/models/clip/clip_model.h"
#include "core/models/clip/clip_preprocess.h"
#include "core/text/clip_tokenizer.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/world_batches.h"
#include "core/util/error.h"

namespace sm::evaluation {
namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

class ToyEmbedder : public Embedder {
 public:
  explicit ToyEmbedder(const fs::path& file) : path_(file), evaluator_(toyworld::loadEvaluator(file)) {}
  std::string name() const override { return "toy evaluator (" + path_.string() + ")"; }
  torch::Tensor images(const std::vector<video::Frame>& frames) override {
    // One by one: frames of any size, each scaled to the evaluator's 64x64 inside encodeImages.
    std::vector<torch::Tensor> out;
    for (const auto& f : frames) out.push_back(evaluator_.images(toyworld::frameToTensor(f).unsqueeze(0)));
    return torch::cat(out);
  }
  torch::Tensor texts(const std::vector<std::string>& prompts) override { return evaluator_.texts(prompts); }

 private:
  fs::path path_;
  toyworld::Evaluator evaluator_;
};

class ClipEmbedder : public Embedder {
 public:
  explicit ClipEmbedder(const fs::path& folder)
      : path_(folder),
        model_(models::loadCLIPModel(folder.string())),
        tokenizer_(text::CLIPTokenizer::fromDiffusersFolder(folder)) {}
  std::string name() const override { return "CLIP (" + path_.string() + ")"; }
  torch::Tensor images(const std::vector<video::Frame>& frames) override {
    torch::NoGradGuard noGrad;
    const torch::Tensor pixels = models::clipPixels(frames, model_->config().vision.image_size);
    return F::normalize(model_->imageFeatures(pixels), F::NormalizeFuncOptions().dim(1));
  }
  torch::Tensor texts(const std::vector<std::string>& prompts) override {
    torch::NoGradGuard noGrad;
    const int length = model_->config().text.max_position_embeddings;
    std::vector<torch::Tensor> rows;
    for (const auto& p : prompts) {
      const std::vector<int> ids = tokenizer_.encodeForSD(p, length);
      rows.push_back(torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kLong));
    }
    return F::normalize(model_->textFeatures(torch::stack(rows)), F::NormalizeFuncOptions().dim(1));
  }

 private:
  fs::path path_;
  models::CLIPModel model_;
  text::CLIPTokenizer tokenizer_;
};

}  // namespace

std::unique_ptr<Embedder> openEmbedder(const std::string& spec) {
  if (spec == "toy") {
    const auto world = toyworld::shippedToyWorld();
    if (!world)
      throw ConfigError(
          "--evaluator toy: no toy world found (set SM_TOYWORLD to a models folder made by "
          "`stillmoving world train`, or run from the source tree)");
    return std::make_unique<ToyEmbedder>(world->evaluator());
  }
  const fs::path path(spec);
  if (fs::is_directory(path)) {
    if (fs::exists(path / "evaluator.safetensors"))
      return std::make_unique<ToyEmbedder>(path / "evaluator.safetensors");
    return std::make_unique<ClipEmbedder>(path);
  }
  if (fs::is_regular_file(path)) return std::make_unique<ToyEmbedder>(path);
  throw InputError("--evaluator: '" + spec +
                   "' does not exist; give \"toy\", a toy evaluator .safetensors or a transformers CLIPModel folder");
}

}  // namespace sm::evaluation
