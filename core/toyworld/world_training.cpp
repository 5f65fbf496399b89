#include "core/toyworld/world_training.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core/toyworld/report.h"
#include "core/util/error.h"

namespace sm::toyworld {
namespace {

using StageFunction = std::function<void(const WorldFolder&, const StageOptions&, jobs::JobContext&)>;

const std::vector<std::pair<std::string, StageFunction>>& stages() {
  static const std::vector<std::pair<std::string, StageFunction>> list{
      {"vae", trainVaeStage},
      {"t2i", trainTextToImageStage},
      {"evaluator", trainEvaluatorStage},
      {"motion", trainMotionModuleStage},
      {"object", trainObjectStage},
      {"style", trainStyleStage},
      {"export", exportModelsStage},
      {"motion_adapter", trainMotionAdapterStage},
      {"spatial_object", trainObjectSpatialStage},
      {"spatial_style", trainStyleSpatialStage},
      {"ablation_object", trainObjectAblationStage},
      {"controlnet", trainControlNetStage},
      {"report", reportStage},
  };
  return list;
}

}  // namespace

const std::vector<std::string>& worldStageNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : stages()) out.push_back(s.first);
    return out;
  }();
  return names;
}

void trainWorld(const WorldTrainingRequest& request, pipelines::ModelCache& models, jobs::JobContext& job) {
  StageOptions options = request.options;
  options.models = &models;
  for (const auto& name : request.only)
    if (std::find(worldStageNames().begin(), worldStageNames().end(), name) == worldStageNames().end())
      throw ConfigError("unknown world stage '" + name + "'; the stages are the names listed by --help");
  const WorldFolder folder(request.workDir);
  for (const auto& [name, run] : stages()) {
    if (!request.only.empty() && std::find(request.only.begin(), request.only.end(), name) == request.only.end())
      continue;
    if (folder.done(name)) {
      job.info("world: stage " + name + " already done");
      continue;
    }
    job.info("world: stage " + name);
    run(folder, options, job);
  }
}

}  // namespace sm::toyworld
