#include "core/models/model_check.h"

#include <optional>
#include <vector>

#include "core/models/clip/clip_text_config.h"
#include "core/models/controlnet/controlnet_config.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

using Expected = std::optional<std::vector<ExpectedTensor>>;

// A diffusers/transformers folder says what it is: its config.json is the truth.
Expected expectedFromConfig(const io::OpenedComponent& c) {
  if (c.className == "UNet2DConditionModel") return UNetConfig::fromJson(*c.config, c.configPath).expectedTensors();
  if (c.className == "AutoencoderKL") return VAEConfig::fromJson(*c.config, c.configPath).expectedTensors();
  if (c.className == "CLIPTextModel") return CLIPTextConfig::fromJson(*c.config, c.configPath).expectedTensors();
  if (c.className == "ControlNetModel") return ControlNetConfig::fromJson(*c.config, c.configPath).expectedTensors();
  return std::nullopt;
}

template <typename Config>
Expected inferred(const io::OpenedComponent& c, std::vector<std::string>& notes) {
  if (c.weights->size() == 0) return std::nullopt;
  try {
    return Config::inferFromWeights(*c.weights).expectedTensors();
  } catch (const Error& e) {
    notes.push_back(c.name + ": cannot infer its config: " + e.what());
    return std::nullopt;
  }
}

// A single file carries no config: the one its weights imply.
Expected expectedFromWeights(const io::OpenedComponent& c, std::vector<std::string>& notes) {
  if (c.kind == io::ModelKind::UNet) return inferred<UNetConfig>(c, notes);
  if (c.kind == io::ModelKind::VAE) return inferred<VAEConfig>(c, notes);
  if (c.kind == io::ModelKind::TextEncoder) return inferred<CLIPTextConfig>(c, notes);
  if (c.kind == io::ModelKind::ControlNet) return inferred<ControlNetConfig>(c, notes);
  return std::nullopt;  // motion modules are checked when loaded
}

std::string listed(const std::vector<int>& values) {
  std::string out;
  for (int v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

// What a user needs to pair a ControlNet with a base: its hint and the base it fits.
void describeControlNet(const io::OpenedComponent& c, std::vector<std::string>& notes) {
  try {
    const ControlNetConfig config =
        c.config ? ControlNetConfig::fromJson(*c.config, c.configPath) : ControlNetConfig::inferFromWeights(*c.weights);
    notes.push_back(
        "hint: " + std::to_string(config.conditioning_channels) + " channels (" + (config.bgr ? "BGR" : "RGB") +
        ", values 0..1) at " + std::to_string(config.conditioningDownscale()) +
        "x the latent size; conditioning embedding widths " + listed(config.conditioning_embedding_out_channels));
    const UNetConfig sd15;
    const bool isSD15 = config.unet.block_out_channels == sd15.block_out_channels &&
                        config.unet.layers_per_block == sd15.layers_per_block &&
                        config.unet.cross_attention_dim == sd15.cross_attention_dim &&
                        config.unet.in_channels == sd15.in_channels;
    notes.push_back("fits a base UNet with block_out_channels " + listed(config.unet.block_out_channels) + ", " +
                    std::to_string(config.unet.layers_per_block) + " layers per block, cross_attention_dim " +
                    std::to_string(config.unet.cross_attention_dim) + ", " + std::to_string(config.unet.in_channels) +
                    " latent channels" + (isSD15 ? ": SD 1.5 and its fine-tunes" : ": not SD 1.5's widths"));
  } catch (const Error& e) {
    notes.push_back(c.name + ": cannot read its config: " + e.what());
  }
}

}  // namespace

void checkComponentKeys(io::OpenedModel& model) {
  for (auto& report : model.info.components) {
    const io::OpenedComponent* c = model.find(report.name);
    if (!c) continue;
    const Expected expected = c->config ? expectedFromConfig(*c) : expectedFromWeights(*c, model.info.notes);
    if (expected) report.keyCheck = checkTensors(*c->weights, *expected);
    if (c->kind == io::ModelKind::ControlNet) describeControlNet(*c, model.info.notes);
  }
}

io::ModelInfo inspectModel(const std::string& path) {
  io::OpenedModel model = io::openModel(path);
  checkComponentKeys(model);
  return std::move(model.info);
}

}  // namespace sm::models
