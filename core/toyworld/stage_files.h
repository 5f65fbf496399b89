#pragma once
// Where `stillmoving world train` keeps its work (one folder, resumable):
//   stages/<stage>.safetensors     a finished stage's weights (diffusers names)
//   records/<stage>.json            its record: steps, seconds, seed, losses, figures
//   checkpoints/<stage>.safetensors the running stage's resumable state
// and how a module's weights go in and out of those files.
#include <torch/nn/module.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/engine/named_tensors.h"

namespace sm::toyworld {

struct StageRecord {
  std::string stage;
  int64_t steps = 0;
  double seconds = 0;
  uint64_t seed = 0;
  std::vector<double> losses;
  nlohmann::json figures = nlohmann::json::object();  ///< measured after training
};

class WorldFolder {
 public:
  explicit WorldFolder(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path weights(const std::string& stage) const;
  std::filesystem::path record(const std::string& stage) const;
  std::filesystem::path checkpoint(const std::string& stage) const;
  /// A stage is done when its record exists (written last, atomically).
  bool done(const std::string& stage) const;

 private:
  std::filesystem::path root_;
};

void writeStageRecord(const std::filesystem::path& path, const StageRecord& record);
StageRecord readStageRecord(const std::filesystem::path& path);

/// The module's parameters (and persistent buffers) by their diffusers names, float32 on the CPU.
engine::NamedTensors moduleTensors(torch::nn::Module& module);
/// The float32 parameters only, for an optimizer.
engine::NamedTensors moduleParameters(torch::nn::Module& module, const std::string& onlyContaining = "");
void saveModule(const std::filesystem::path& path, torch::nn::Module& module);
/// Copies the file's tensors into the module (every module key must be present).
void loadModule(const std::filesystem::path& path, torch::nn::Module& module);

}  // namespace sm::toyworld
