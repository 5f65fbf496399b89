#include "core/models/controlnet/controlnet_loader.h"

#include <torch/torch.h>

#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

const io::OpenedComponent& controlNetPart(const io::OpenedModel& opened) {
  const io::OpenedComponent* part = opened.find(io::ModelKind::ControlNet);
  if (!part)
    throw CheckpointError(opened.path, "is a " + std::string(io::modelKindName(opened.info.kind)) +
                                           ", not a ControlNet: give a ControlNet file (control_*.safetensors/.pth) "
                                           "or a diffusers ControlNetModel folder");
  if (!part->unmapped.empty())
    throw CheckpointError(opened.path, part->unmapped.front(), "is a ControlNet key no naming rule maps");
  return *part;
}

std::string widthsText(const std::vector<int>& widths) {
  std::string s;
  for (size_t i = 0; i < widths.size(); ++i) s += (i ? ", " : "") + std::to_string(widths[i]);
  return s;
}

// Every tensor the base's ControlNet has must be in the file with its shape:
// the residuals meet the base's skip tensors, channel for channel.
void requireFits(const io::OpenedComponent& part, const ControlNetConfig& forBase, const std::string& path) {
  const KeyCheck check = checkTensors(*part.weights, forBase.expectedTensors());
  const std::string base = "the base model (block_out_channels " + widthsText(forBase.unet.block_out_channels) +
                           ", layers_per_block " + std::to_string(forBase.unet.layers_per_block) +
                           ", cross_attention_dim " + std::to_string(forBase.unet.cross_attention_dim) + ")";
  if (!check.shapeMismatches.empty()) {
    const ShapeMismatch& m = check.shapeMismatches.front();
    throw CheckpointError(path, m.name,
                          "has shape " + shapeToString(m.got) + " but " + base + " needs " + shapeToString(m.expected) +
                              ": this ControlNet was made for another base model; use one made for this base");
  }
  if (!check.missing.empty())
    throw CheckpointError(path, check.missing.front(),
                          "is missing, but " + base + " needs it (" + std::to_string(check.missing.size()) +
                              " tensors missing): this ControlNet does not fit the base model");
}

}  // namespace

ControlNetConfig controlNetConfigFor(const io::OpenedModel& opened, const UNetConfig& base) {
  const io::OpenedComponent& part = controlNetPart(opened);
  const ControlNetConfig forBase = ControlNetConfig::fromBase(base, *part.weights);
  requireFits(part, forBase, part.weights->path);
  if (!part.config) return forBase;
  // A folder's own config: its head counts and norm groups are its own (invisible in shapes).
  ControlNetConfig own = ControlNetConfig::fromJson(*part.config, part.configPath);
  if (own.unet.block_out_channels != base.block_out_channels ||
      own.unet.cross_attention_dim != base.cross_attention_dim || own.unet.in_channels != base.in_channels ||
      own.unet.layers_per_block != base.layers_per_block)
    throw CheckpointError(part.configPath, "describes another base model than the one loaded (block_out_channels " +
                                               widthsText(own.unet.block_out_channels) + " vs " +
                                               widthsText(base.block_out_channels) + ")");
  return own;
}

ControlNetModel loadControlNet(const std::string& path, const UNetConfig& base, torch::Device device,
                               torch::ScalarType dtype, ControlNetLoadReport* report) {
  const io::OpenedModel opened = io::openModel(path);
  const ControlNetConfig config = controlNetConfigFor(opened, base);
  const io::OpenedComponent& part = controlNetPart(opened);
  ControlNetModel model(config);
  LoadOptions load;
  load.target = torch::TensorOptions().device(device).dtype(dtype);
  const LoadReport loaded = loadWeights(*model, *part.weights, load);
  if (!loaded.unexpected.empty())
    throw CheckpointError(part.weights->path, loaded.unexpected.front(),
                          "is not part of an SD 1.5-style ControlNet (" + std::to_string(loaded.unexpected.size()) +
                              " such tensors): this kind of ControlNet is not supported");
  model->eval();
  if (report) {
    report->weightsPath = part.weights->path;
    report->naming = part.naming;
    report->config = config;
  }
  return model;
}

}  // namespace sm::models
