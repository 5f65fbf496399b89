#include "core/training/training_requests.h"

#include <filesystem>

#include "core/util/error.h"
#include "core/util/writable.h"

namespace fs = std::filesystem;

namespace sm::training {

double defaultPriorRatio(bool hasPriorDataset) { return hasPriorDataset ? 0.5 : 0.0; }

void requireAdapterOutput(const std::string& output) {
  if (output.empty()) throw ConfigError("the output file is missing: name a .safetensors file to write");
  const fs::path path(output);
  if (path.extension() != ".safetensors") throw ConfigError(output + ": adapters are written as .safetensors");
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent)) throw ConfigError(output + ": folder " + parent.string() + " does not exist");
  util::requireWritableFile(output);
}

pipelines::ModelSet generationModelsOf(const MotionAdapterTrainingSettings& s) {
  pipelines::ModelSet models = s.model;
  models.motionAdapter = s.output;
  return models;
}

pipelines::ModelSet generationModelsOf(const SpatialAdaptersTrainingSettings& s) {
  pipelines::ModelSet models = s.model;
  models.motionAdapter = s.motionAdapter;
  if (s.trainAllSpatialWeights)
    models.custom = s.output;  // the ablation writes whole spatial weights, used as a customized model
  else
    models.spatialAdapters = s.output;
  return models;
}

}  // namespace sm::training
