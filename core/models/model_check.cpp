#include "core/models/model_check.h"

#include <optional>
#include <vector>

#include "core/models/clip/clip_text_config.h"
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
  return std::nullopt;  // motion modules and ControlNets are checked when loaded
}

}  // namespace

void checkComponentKeys(io::OpenedModel& model) {
  for (auto& report : model.info.components) {
    const io::OpenedComponent* c = model.find(report.name);
    if (!c) continue;
    const Expected expected = c->config ? expectedFromConfig(*c) : expectedFromWeights(*c, model.info.notes);
    if (expected) report.keyCheck = checkTensors(*c->weights, *expected);
  }
}

io::ModelInfo inspectModel(const std::string& path) {
  io::OpenedModel model = io::openModel(path);
  checkComponentKeys(model);
  return std::move(model.info);
}

}  // namespace sm::models
