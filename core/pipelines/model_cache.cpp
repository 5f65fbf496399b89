#include "core/pipelines/model_cache.h"

#include <filesystem>
#include <sstream>
#include <system_error>

#include "core/engine/device.h"
#include "core/engine/memory_guard.h"
#include "core/models/controlnet/controlnet_loader.h"

namespace fs = std::filesystem;

namespace sm::pipelines {
namespace {

// A file rewritten in place (an adapter trained again under the same name)
// must not be served from the cache: the key holds each path's size and time.
void stamp(std::ostringstream& key, const std::string& path) {
  key << path;
  std::error_code error;
  if (path.empty() || !fs::exists(path, error)) return;
  auto add = [&](const fs::path& p) {
    std::error_code e;
    const auto time = fs::last_write_time(p, e).time_since_epoch().count();
    const auto size = fs::is_regular_file(p, e) ? fs::file_size(p, e) : 0;
    key << '|' << time << ':' << size;
  };
  add(path);
  if (fs::is_directory(path, error))  // diffusers layouts: files one or two levels down
    for (auto it = fs::recursive_directory_iterator(path, error); it != fs::recursive_directory_iterator();
         it.increment(error)) {
      if (error) break;
      if (it.depth() > 1) it.disable_recursion_pending();
      add(it->path());
    }
  key << '\n';
}

std::string baseKeyOf(const ModelSet& s, torch::ScalarType dtype) {
  std::ostringstream key;
  stamp(key, s.base);
  stamp(key, s.motionModule);
  stamp(key, s.tokenizer);
  key << engine::dtypeName(dtype);
  return key.str();
}

// "" when the base's weights are used as they are.
std::string customizationKeyOf(const ModelSet& s) {
  if (s.custom.empty() && s.loras.empty() && !(s.mergeSpatialAdapters && !s.spatialAdapters.empty())) return "";
  std::ostringstream key;
  stamp(key, s.custom);
  key << (s.interpolation ? std::to_string(*s.interpolation) : "-") << '\n';
  for (const auto& [path, strength] : s.loras) {
    stamp(key, path);
    key << strength << '\n';
  }
  if (s.mergeSpatialAdapters) {
    stamp(key, s.spatialAdapters);
    key << s.acceptForeignAdapters << '\n';
  }
  return key.str();
}

std::string adaptersKeyOf(const ModelSet& s) {
  std::ostringstream key;
  if (!s.mergeSpatialAdapters) stamp(key, s.spatialAdapters);
  stamp(key, s.motionAdapter);
  key << s.acceptForeignAdapters << '\n';
  return key.str();
}

std::string controlKeyOf(const ModelSet& s) {
  std::ostringstream key;
  for (const std::string& path : s.controlNets) stamp(key, path);
  return key.str();
}

}  // namespace

ModelCache::ModelCache(const std::string& device) : device_(engine::selectDevice(device)) {}
ModelCache::~ModelCache() = default;

void ModelCache::clear() {
  base_ = {};
  baseKey_.clear();
  customizationKey_.clear();
  adaptersKey_.clear();
  controlKey_.clear();
}

std::string ModelCache::describeEngine() const {
  if (!base_.pipeline) return "";
  return base_.pipeline->device().str() + ", " + engine::dtypeName(base_.pipeline->dtype());
}

AnimateDiffPipeline& ModelCache::pipeline(const ModelSet& models, const std::string& dtypeName, jobs::JobContext& job) {
  models.validate();
  const torch::ScalarType dtype = engine::selectDtype(dtypeName, device_);
  const std::string baseKey = baseKeyOf(models, dtype);
  const std::string customizationKey = customizationKeyOf(models);
  const std::string adaptersKey = adaptersKeyOf(models);
  const std::string controlKey = controlKeyOf(models);

  const bool loadBase = !base_.pipeline || baseKey != baseKey_;
  const bool customize = loadBase || customizationKey != customizationKey_;
  const bool attach = customize || adaptersKey != adaptersKey_;
  // ControlNets are separate networks: the customization and the adapters never touch them.
  const bool loadControl = loadBase || controlKey != controlKey_;
  if (!attach && !loadControl) return *base_.pipeline;

  const bool hookSpatial = !models.spatialAdapters.empty() && !models.mergeSpatialAdapters;
  const int units = (loadBase ? kBaseLoadUnits : 0) + (customize ? customizationUnits(models) : 0) +
                    (attach && hookSpatial ? 1 : 0) + (attach && !models.motionAdapter.empty() ? 1 : 0) +
                    (customize && models.mergeSpatialAdapters ? 1 : 0) +
                    (loadControl ? static_cast<int>(models.controlNets.size()) : 0);
  int done = 0;
  // The stages before the ControlNets leave consistent weights and keys: a ControlNet
  // that does not fit costs no reload of the base.
  bool controlFailed = false;
  job.beginStage("loading", units);
  try {
    return *engine::guardMemory("loading the models", device_, [&]() -> AnimateDiffPipeline* {
      if (loadBase) {
        clear();  // the old models go before the new ones arrive
        PipelineLoadOptions options;
        options.device = device_;
        options.dtype = dtype;
        base_ = loadBasePipeline(models, options, job, &done);
        baseKey_ = baseKey;
        ++counters_.baseLoads;
      }
      AnimateDiffPipeline& pipeline = *base_.pipeline;
      if (loadControl) {
        controlKey_.clear();
        pipeline.setControlNets({});  // the old ones go before the new ones arrive
        std::vector<models::ControlNetModel> nets;
        try {
          for (const std::string& path : models.controlNets) {
            models::ControlNetLoadReport report;
            nets.push_back(models::loadControlNet(path, pipeline.unet()->config(), device_, pipeline.dtype(), &report));
            job.info("ControlNet: " + report.weightsPath + " (" + report.naming + " naming, " +
                     std::to_string(report.config.conditioning_channels) + " hint channels)");
            job.throwIfCancelled();
            job.progress(++done);
          }
        } catch (...) {
          controlFailed = true;
          throw;
        }
        pipeline.setControlNets(std::move(nets));
        controlKey_ = controlKey;
        if (!models.controlNets.empty()) ++counters_.controlNetLoads;
      }
      if (!attach) return &pipeline;
      // Adapters hook the weights a customization replaces: off before it, on after.
      pipeline.clearAdapters();
      adaptersKey_.clear();
      if (customize) {
        // Customized in the precision around the UNet (fp32 on the CPU), cast after: see setUNetDtype.
        pipeline.setUNetDtype(engine::dtypeAroundUNet(dtype, device_));
        const bool restore = !customizationKey_.empty();
        if (restore) restoreBaseWeights(pipeline, base_.base);
        customizationKey_ = "(changing)";  // an error below leaves no claim about the weights
        applyCustomization(pipeline, models, job, &done);
        if (models.mergeSpatialAdapters) {
          attachSpatialAdapters(pipeline, models.spatialAdapters, true, models.acceptForeignAdapters, job);
          job.progress(++done);
        }
        customizationKey_ = customizationKey;
        if (restore || !customizationKey.empty()) ++counters_.customizations;
      }
      pipeline.setUNetDtype(dtype);
      if (hookSpatial) {
        attachSpatialAdapters(pipeline, models.spatialAdapters, false, models.acceptForeignAdapters, job);
        job.progress(++done);
      }
      if (!models.motionAdapter.empty()) {
        attachMotionAdapter(pipeline, models.motionAdapter, models.acceptForeignAdapters, base_.baseSpatial, job);
        job.progress(++done);
      }
      if (hookSpatial || !models.motionAdapter.empty()) ++counters_.adapterAttachments;
      adaptersKey_ = adaptersKey;
      return &pipeline;
    });
  } catch (...) {
    if (!controlFailed) clear();  // half-customized weights must never serve a later request
    throw;
  }
}

}  // namespace sm::pipelines
