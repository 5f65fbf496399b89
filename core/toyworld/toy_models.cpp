#include "core/toyworld/toy_models.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/io/safetensors.h"
#include "core/models/load_weights.h"
#include "core/text/reduced_tokenizer.h"
#include "core/toyworld/toy_configs.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {

text::CLIPTokenizer toyTokenizer(const WorldFolder& folder) {
  const std::filesystem::path dir = folder.root() / "tokenizer";
  if (!std::filesystem::exists(dir / "vocab.json")) text::writeReducedTokenizer(dir, world::vocabularyWords());
  return text::CLIPTokenizer::fromDiffusersFolder(dir);
}

torch::Tensor tokenize(const text::CLIPTokenizer& tokenizer, const std::vector<std::string>& captions) {
  std::vector<int64_t> ids;
  for (const auto& c : captions)
    for (int id : tokenizer.encodeForSD(c, 77)) ids.push_back(id);
  return torch::tensor(ids, torch::kInt64).view({static_cast<int64_t>(captions.size()), 77});
}

void freeze(torch::nn::Module& module) {
  module.eval();
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

models::AutoencoderKL loadToyVae(const WorldFolder& folder) {
  models::AutoencoderKL vae(toyVaeConfig());
  loadModule(folder.weights("vae"), *vae);
  freeze(*vae);
  return vae;
}

models::CLIPTextModel loadToyTextEncoder(const WorldFolder& folder, int vocabSize) {
  models::CLIPTextModel text(toyTextConfig(vocabSize));
  loadModule(folder.weights("text_encoder"), *text);
  freeze(*text);
  return text;
}

models::UNet3D loadToyUNet(const WorldFolder& folder, const std::string& stage, bool withMotion) {
  models::UNet3D unet =
      withMotion ? models::UNet3D(toyUNetConfig(), toyMotionConfig()) : models::UNet3D(toyUNetConfig());
  models::LoadOptions spatial;
  spatial.optional = [](const std::string& key) { return key.find("motion_modules") != std::string::npos; };
  spatial.ignore = spatial.optional;
  models::loadWeights(*unet, io::readSafetensors(folder.weights(stage).string()), spatial);
  if (withMotion && stage != "motion") {
    models::LoadOptions motion;
    motion.optional = [](const std::string& key) { return key.find("motion_modules") == std::string::npos; };
    motion.ignore = motion.optional;
    models::loadWeights(*unet, io::readSafetensors(folder.weights("motion").string()), motion);
  }
  freeze(*unet);
  return unet;
}

torch::Tensor encodeLatents(models::AutoencoderKLImpl& vae, const torch::Tensor& pixels) {
  torch::NoGradGuard noGrad;
  if (pixels.dim() == 4) return vae.encodeMean(pixels) * kScalingFactor;
  const int64_t b = pixels.size(0), f = pixels.size(2);
  const torch::Tensor frames =
      pixels.permute({0, 2, 1, 3, 4}).reshape({b * f, pixels.size(1), pixels.size(3), pixels.size(4)});
  const torch::Tensor z = vae.encodeMean(frames) * kScalingFactor;
  return z.view({b, f, z.size(1), z.size(2), z.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

}  // namespace sm::toyworld
