#include "core/models/unet/unet_loader.h"

#include <torch/torch.h>

#include <filesystem>
#include <unordered_map>
#include <utility>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/model_recognition.h"
#include "core/io/state_dict_reader.h"
#include "core/models/config_json.h"
#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::models {
namespace {

struct Source {
  io::StateDictIndex weights;  ///< diffusers names
  std::optional<nlohmann::json> config;
  std::string configPath;
  std::string naming = "diffusers";
  size_t ignored = 0;
  /// The file's own name of each renamed position table, for errors.
  std::unordered_map<std::string, std::string> fileKeys;
};

bool isPositionTable(const std::string& key) {
  return key.find(".pos_embed.pe") != std::string::npos || key.find(".pos_encoder.pe") != std::string::npos;
}

void readFolder(Source& s, const fs::path& folder) {
  s.weights = io::readStateDict(io::diffusersWeightsFile(folder.string()));
  if (fs::exists(folder / "config.json")) {
    s.configPath = (folder / "config.json").string();
    s.config = readJsonFile(s.configPath);
  }
}

Source readBase(const std::string& path) {
  Source s;
  const fs::path p(path);
  if (!fs::exists(p)) throw CheckpointError(path, "no such file or folder");
  if (fs::is_directory(p)) {
    readFolder(s, fs::exists(p / "model_index.json") ? p / "unet" : p);
    return s;
  }
  io::StateDictIndex file = io::readStateDict(path);
  if (!file.hasPrefix(io::kLdmUNetPrefix)) {
    s.weights = std::move(file);  // a bare diffusers-named UNet file
    return s;
  }
  io::LdmComponents parts = io::splitLdmCheckpoint(file);
  for (const auto& key : parts.unmapped)  // only the UNet's matter here; the VAE loader judges its own
    if (key.rfind(io::kLdmUNetPrefix, 0) == 0) throw CheckpointError(path, key, "is a UNet key no LDM rule maps");
  s.ignored = file.size() - parts.unet.size();
  s.weights = std::move(parts.unet);
  s.naming = "ldm";
  return s;
}

Source readMotion(const std::string& path, const std::optional<MotionModuleConfig>& override,
                  std::optional<MotionModuleConfig>& config) {
  Source s;
  const fs::path p(path);
  if (!fs::exists(p)) throw CheckpointError(path, "no such file or folder");
  if (fs::is_directory(p)) {
    readFolder(s, p);
  } else {
    s.weights = io::readStateDict(path);
  }
  const io::ModelInfo info = io::recognizeWeights(s.weights);
  if (info.kind != io::ModelKind::MotionModule)
    throw CheckpointError(path,
                          "is a " + std::string(io::modelKindName(info.kind)) + ", not an AnimateDiff motion module");
  // Inferred from the file as named there: original files keep the position-table length the renaming drops.
  config = override   ? *override
           : s.config ? MotionModuleConfig::fromJson(*s.config, s.configPath)
                      : MotionModuleConfig::inferFromWeights(s.weights);
  if (info.naming == "original") {
    for (const auto& t : s.weights.tensors())
      if (isPositionTable(t.name)) s.fileKeys[io::animateDiffOriginalToDiffusers(t.name)] = t.name;
    io::RenamedMotionModule renamed = io::renameAnimateDiffOriginal(s.weights);
    s.ignored = renamed.ignored.size();
    s.weights = std::move(renamed.weights);
    s.naming = "original";
  }
  return s;
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

// A table of another shape would not fit the model: name the file's key, and
// what the config expects, before the generic loader's ShapeError could.
void checkPositionTables(UNet3DImpl& model, const Source& motion) {
  for (const auto& item : model.named_buffers()) {
    if (item.key().find(".pos_embed.pe") == std::string::npos) continue;
    const io::TensorInfo* table = motion.weights.find(item.key());
    const std::vector<int64_t> expected = item.value().sizes().vec();
    if (!table || table->shape == expected) continue;
    auto fileKey = motion.fileKeys.find(item.key());
    throw CheckpointError(motion.weights.path, fileKey == motion.fileKeys.end() ? item.key() : fileKey->second,
                          "is a position table of shape " + shapeToString(table->shape) + "; the motion module needs " +
                              shapeToString(expected) + " ([1, max_seq_length, channels]): use the config.json or " +
                              "--motion-module file this table belongs to");
  }
}

}  // namespace

UNet3D loadUNet3D(const std::string& basePath, const std::string& motionModulePath, const UNet3DLoadOptions& options,
                  UNet3DLoadReport* report) {
  Source base = readBase(basePath);
  UNetConfig config = options.unetConfig ? *options.unetConfig
                      : base.config      ? UNetConfig::fromJson(*base.config, base.configPath)
                                         : UNetConfig::inferFromWeights(base.weights);
  std::optional<Source> motion;
  std::optional<MotionModuleConfig> motionConfig;
  if (!motionModulePath.empty()) {
    motion = readMotion(motionModulePath, options.motionConfig, motionConfig);
    // Norm groups are invisible in weights; diffusers' UNetMotionModel uses the UNet's anyway.
    if (!options.motionConfig && !motion->config) motionConfig->motion_norm_num_groups = config.norm_num_groups;
  }

  UNet3D model(config, motionConfig, options.runtime);
  const io::StateDictIndex weights = combine(base.weights, motion ? &motion->weights : nullptr);
  if (motion) checkPositionTables(*model, *motion);
  LoadOptions load;
  // A file without position tables keeps the computed ones.
  load.optional = [](const std::string& key) { return key.find(".pos_embed.pe") != std::string::npos; };
  // Each parameter moves to the target device/dtype as it is loaded: never two full copies.
  load.target = torch::TensorOptions().device(options.device).dtype(options.dtype);
  LoadReport loaded = loadWeights(*model, weights, load);
  if (report) {
    report->unetWeightsPath = base.weights.path;
    report->motionWeightsPath = motion ? motion->weights.path : "";
    report->unetNaming = base.naming;
    report->motionNaming = motion ? motion->naming : "";
    report->unexpected = loaded.unexpected;
    report->ignored = base.ignored + (motion ? motion->ignored : 0);
    report->loaded = loaded.loaded;
    report->computedPositionTables = loaded.leftAtInit.size();
  }
  return model;
}

}  // namespace sm::models
