#include "core/models/unet/unet_loader.h"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/io/key_maps/animatediff.h"
#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

const io::OpenedComponent& baseUNet(const io::OpenedModel& base) {
  const io::OpenedComponent* unet = base.find(io::ModelKind::UNet);
  if (!unet)
    throw CheckpointError(base.path,
                          "is a " + std::string(io::modelKindName(base.info.kind)) +
                              ", not an SD 1.5 checkpoint (expected a diffusers folder, a UNet or an LDM file)");
  if (!unet->unmapped.empty())
    throw CheckpointError(base.path, unet->unmapped.front(), "is a UNet key no LDM rule maps");
  return *unet;
}

const io::OpenedComponent& motionModules(const io::OpenedModel& motion) {
  const io::OpenedComponent* modules = motion.find(io::ModelKind::MotionModule);
  if (!modules)
    throw CheckpointError(
        motion.path, "is a " + std::string(io::modelKindName(motion.info.kind)) + ", not an AnimateDiff motion module");
  return *modules;
}

MotionModuleConfig motionConfigOf(const io::OpenedModel& motion, const io::OpenedComponent& modules) {
  if (modules.config) return MotionModuleConfig::fromJson(*modules.config, modules.configPath);
  // Inferred from the file as named there.
  return MotionModuleConfig::inferFromWeights(motion.file ? *motion.file : *modules.weights);
}

// One index over the UNet and motion-module tensors; the owner keeps both files mapped.
io::StateDictIndex combine(const io::StateDictIndex& unet, const io::StateDictIndex* motion) {
  io::StateDictIndex out;
  out.path = unet.path;
  out.format = unet.format;
  for (const auto& t : unet.tensors()) out.add(t);
  if (!motion) {
    out.owner = unet.owner;
    return out;
  }
  out.path += " + " + motion->path;
  for (const auto& t : motion->tensors()) {
    if (t.name.find(".motion_modules.") == std::string::npos)
      throw CheckpointError(motion->path, t.name, "is not a motion-module tensor");
    if (unet.contains(t.name)) throw CheckpointError(motion->path, t.name, "is also in the UNet file");
    out.add(t);
  }
  out.owner =
      std::make_shared<std::pair<std::shared_ptr<const void>, std::shared_ptr<const void>>>(unet.owner, motion->owner);
  return out;
}

bool isPositionTable(const std::string& key) {
  return key.find(".pos_embed.pe") != std::string::npos || key.find(".pos_encoder.pe") != std::string::npos;
}

// A table in the file must have the shape the config gives the model; the
// error names the table as the file names it.
void checkPositionTables(UNet3DImpl& model, const io::OpenedModel& motionModel, const io::OpenedComponent& motion) {
  std::unordered_map<std::string, std::string> fileKeys;
  if (motion.naming == "original" && motionModel.file)
    for (const auto& t : motionModel.file->tensors())
      if (isPositionTable(t.name)) fileKeys[io::animateDiffOriginalToDiffusers(t.name)] = t.name;
  for (const auto& item : model.named_buffers()) {
    if (item.key().find(".pos_embed.pe") == std::string::npos) continue;
    const io::TensorInfo* table = motion.weights->find(item.key());
    const std::vector<int64_t> expected = item.value().sizes().vec();
    if (!table || table->shape == expected) continue;
    const auto fileKey = fileKeys.find(item.key());
    throw CheckpointError(motion.weights->path, fileKey == fileKeys.end() ? item.key() : fileKey->second,
                          "is a position table of shape " + shapeToString(table->shape) + "; the motion module needs " +
                              shapeToString(expected) + " ([1, max_seq_length, channels]): use the config.json or " +
                              "--motion-module file this table belongs to");
  }
}

}  // namespace

UNet3D loadUNet3D(const io::OpenedModel& base, const io::OpenedModel* motionModule, const UNet3DLoadOptions& options,
                  UNet3DLoadReport* report) {
  const io::OpenedComponent& unet = baseUNet(base);
  UNetConfig config = options.unetConfig ? *options.unetConfig
                      : unet.config      ? UNetConfig::fromJson(*unet.config, unet.configPath)
                                         : UNetConfig::inferFromWeights(*unet.weights);
  const io::OpenedComponent* motion = motionModule ? &motionModules(*motionModule) : nullptr;
  std::optional<MotionModuleConfig> motionConfig;
  if (motion) {
    motionConfig = options.motionConfig ? *options.motionConfig : motionConfigOf(*motionModule, *motion);
    // Norm groups are invisible in weights; diffusers' UNetMotionModel uses the UNet's anyway.
    if (!options.motionConfig && !motion->config) motionConfig->motion_norm_num_groups = config.norm_num_groups;
  }

  std::optional<UNet3D> built;
  try {
    built.emplace(config, motionConfig, options.runtime);
  } catch (const ConfigError& e) {
    // The motion module is the file that does not fit (widths, layers): name it.
    if (!motion) throw;
    throw CheckpointError(motion->weights->path,
                          std::string(e.what()) + ": use a motion module made for this base model (SD 1.5 widths)");
  }
  UNet3D model = std::move(*built);
  const io::StateDictIndex weights = combine(*unet.weights, motion ? motion->weights.get() : nullptr);
  if (motion) checkPositionTables(*model, *motionModule, *motion);
  LoadOptions load;
  // The file's position tables are loaded (diffusers keeps them as persistent
  // buffers too); a file without them keeps the computed sinusoids.
  load.optional = [](const std::string& key) { return key.find(".pos_embed.pe") != std::string::npos; };
  // Each parameter moves to the target device/dtype as it is loaded: never two full copies.
  load.target = torch::TensorOptions().device(options.device).dtype(options.dtype);
  LoadReport loaded = loadWeights(*model, weights, load);
  if (report) {
    report->unetWeightsPath = unet.weights->path;
    report->motionWeightsPath = motion ? motion->weights->path : "";
    report->unetNaming = unet.naming;
    report->motionNaming = motion ? motion->naming : "";
    report->unexpected = loaded.unexpected;
    report->ignored = unet.dropped + (motion ? motion->dropped : 0);
    report->loaded = loaded.loaded;
    report->computedPositionTables = loaded.leftAtInit.size();
  }
  return model;
}

UNet3D loadUNet3D(const std::string& basePath, const std::string& motionModulePath, const UNet3DLoadOptions& options,
                  UNet3DLoadReport* report) {
  const io::OpenedModel base = io::openSDModel(basePath);
  if (motionModulePath.empty()) return loadUNet3D(base, nullptr, options, report);
  const io::OpenedModel motion = io::openModel(motionModulePath);
  return loadUNet3D(base, &motion, options, report);
}

}  // namespace sm::models
