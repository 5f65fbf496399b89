#include "core/io/model_folder.h"

#include "core/io/json_file.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::io {
namespace {

std::string className(const nlohmann::json& config) {
  if (config.contains("_class_name") && config["_class_name"].is_string()) return config["_class_name"];
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty() &&
      config["architectures"][0].is_string())
    return config["architectures"][0];
  return {};
}

std::optional<ModelKind> kindOfClass(const std::string& cls) {
  if (cls == "UNet2DConditionModel") return ModelKind::UNet;
  if (cls == "AutoencoderKL") return ModelKind::VAE;
  if (cls == "CLIPTextModel") return ModelKind::TextEncoder;
  if (cls == "MotionAdapter") return ModelKind::MotionModule;
  if (cls == "ControlNetModel") return ModelKind::ControlNet;
  return std::nullopt;
}

std::shared_ptr<const StateDictIndex> readFolderWeights(const fs::path& folder) {
  return std::make_shared<const StateDictIndex>(readStateDict(diffusersWeightsFile(folder.string())));
}

void attachConfig(OpenedComponent& c, const fs::path& configPath, nlohmann::json config) {
  c.className = className(config);
  c.configPath = configPath.string();
  c.config = std::make_shared<const nlohmann::json>(std::move(config));
}

// One sub-folder of a pipeline: config.json first (its absence is the clearer
// message), then the weights.
OpenedComponent openComponentFolder(const std::string& name, const fs::path& folder) {
  const fs::path configPath = folder / "config.json";
  if (!fs::exists(configPath))
    throw CheckpointError(configPath.string(), "missing: every diffusers model folder has one");
  OpenedComponent c;
  c.name = name;
  attachConfig(c, configPath, readJsonFile(configPath.string()));
  c.kind = kindOfClass(c.className);
  c.weights = readFolderWeights(folder);
  return c;
}

bool isPipelineExtra(const std::string& name) {
  return name == "tokenizer" || name == "scheduler" || name == "feature_extractor" || name == "safety_checker";
}

OpenedModel openPipelineFolder(const fs::path& folder) {
  OpenedModel model;
  model.path = folder.string();
  model.packaging = Packaging::DiffusersPipeline;
  ModelInfo& info = model.info;
  info.path = folder.string();
  info.kind = ModelKind::DiffusersPipeline;
  info.naming = "diffusers";
  info.format = "folder";
  const nlohmann::json index = readJsonFile((folder / "model_index.json").string());
  info.metadata["_class_name"] = className(index);
  for (const auto& [name, value] : index.items()) {
    if (name.empty() || name[0] == '_' || !value.is_array()) continue;
    if (isPipelineExtra(name)) {
      if (name == "tokenizer") {
        if (!(fs::exists(folder / name / "vocab.json") && fs::exists(folder / name / "merges.txt")))
          throw CheckpointError((folder / name).string(), "tokenizer folder lacks vocab.json or merges.txt");
        model.tokenizerFolder = (folder / name).string();
      }
      continue;
    }
    if (value.size() == 2 && value[0].is_null()) continue;  // component left out (e.g. no safety checker)
    if (!fs::is_directory(folder / name))
      throw CheckpointError((folder / name).string(),
                            "model_index.json lists this component but the folder is missing");
    OpenedComponent c = openComponentFolder(name, folder / name);
    info.addTensors(*c.weights);
    info.components.push_back({name, c.weights->path, c.weights->size(), c.weights->parameterCount(), std::nullopt});
    model.components.push_back(std::move(c));
  }
  // A tokenizer/ folder that model_index.json does not list is still the model's own.
  if (model.tokenizerFolder.empty() && fs::exists(folder / "tokenizer" / "vocab.json"))
    model.tokenizerFolder = (folder / "tokenizer").string();
  const OpenedComponent* unet = model.find("unet");
  info.variant = unet ? sdVariant(*unet->weights) : "sd15";
  return model;
}

// A MotionAdapter or ControlNetModel folder: what its weights are, as for a single
// file, with the config's word on the motion-module version.
void openAdapterFolder(OpenedModel& model, const fs::path& configPath, nlohmann::json config) {
  const std::string cls = className(config);
  std::shared_ptr<const StateDictIndex> weights = readFolderWeights(configPath.parent_path());
  model.info = recognizeWeights(*weights);
  if (cls == "MotionAdapter") {
    bool mid = false;
    int seq = 0;
    ConfigReader(config, configPath.string()).read("use_motion_mid_block", mid);
    ConfigReader(config, configPath.string()).read("motion_max_seq_length", seq);
    model.info.variant = mid ? "v2" : seq == 24 ? "v1" : seq == 32 ? "v3" : model.info.variant;
  }
  model.components = componentsOfWeights(model.info, weights);
  for (auto& c : model.components) attachConfig(c, configPath, config);
  model.file = std::move(weights);
}

OpenedModel openModelFolder(const fs::path& folder) {
  OpenedModel model;
  model.path = folder.string();
  model.packaging = Packaging::DiffusersComponent;
  const fs::path configPath = folder / "config.json";
  nlohmann::json config = readJsonFile(configPath.string());
  const std::string cls = className(config);
  const std::optional<ModelKind> kind = kindOfClass(cls);
  if (kind == ModelKind::MotionModule || kind == ModelKind::ControlNet) {
    openAdapterFolder(model, configPath, std::move(config));
  } else if (kind) {
    ModelInfo& info = model.info;
    info.kind = *kind;
    info.naming = "diffusers";
    OpenedComponent c;
    c.name = "model";
    c.kind = kind;
    attachConfig(c, configPath, std::move(config));
    c.weights = readFolderWeights(folder);
    info.addTensors(*c.weights);
    info.components.push_back({"model", c.weights->path, c.weights->size(), c.weights->parameterCount(), std::nullopt});
    info.variant = kind == ModelKind::UNet ? sdVariant(*c.weights) : "sd15";
    model.components.push_back(std::move(c));
  } else {
    throw CheckpointError(configPath.string(), "model class '" + cls + "' is not one Still-Moving reads");
  }
  model.info.path = folder.string();
  model.info.format = "folder";
  return model;
}

// A folder with just a weights file in it (e.g. a diffusers unet/ folder that
// lost its config.json): recognized by its weights, the config inferred later.
OpenedModel openWeightsFolder(const fs::path& folder) {
  OpenedModel model;
  model.path = folder.string();
  model.packaging = Packaging::DiffusersComponent;
  std::shared_ptr<const StateDictIndex> weights = readFolderWeights(folder);
  model.info = recognizeWeights(*weights);
  model.info.path = folder.string();
  model.info.format = "folder";
  model.components = componentsOfWeights(model.info, weights);
  model.file = std::move(weights);
  return model;
}

bool hasDiffusersWeights(const fs::path& folder) {
  try {
    diffusersWeightsFile(folder.string());
    return true;
  } catch (const CheckpointError&) {
    return false;
  }
}

}  // namespace

OpenedModel openDiffusersFolder(const fs::path& folder) {
  if (fs::exists(folder / "model_index.json")) return openPipelineFolder(folder);
  if (fs::exists(folder / "config.json")) return openModelFolder(folder);
  if (hasDiffusersWeights(folder)) return openWeightsFolder(folder);
  throw CheckpointError(folder.string(),
                        "folder holds neither model_index.json (a diffusers pipeline) nor config.json (a "
                        "diffusers model)");
}

}  // namespace sm::io
