#include "core/training/training_checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/engine/tensor_loader.h"
#include "core/engine/tensor_writer.h"
#include "core/io/dtype.h"
#include "core/io/safetensors.h"
#include "core/training/checkpoint_format.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace sm::training {
namespace {

// Prefix of each tensor group in the file, and where it lands in the struct.
struct Group {
  const char* prefix;
  engine::NamedTensors TrainingCheckpoint::*member;
};
constexpr Group kGroups[] = {{"adapter.", &TrainingCheckpoint::trainable},
                             {"optimizer.", &TrainingCheckpoint::optimizer},
                             {"rng.", &TrainingCheckpoint::generators}};

void checkJsonObject(const std::string& field, const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object())
    throw ConfigError("training checkpoint: " + field + " must be a JSON object, got '" + text + "'");
}

}  // namespace

void saveTrainingCheckpoint(const std::string& path, const TrainingCheckpoint& checkpoint) {
  checkJsonObject("settingsJson", checkpoint.settingsJson);
  checkJsonObject("resumeJson", checkpoint.resumeJson);
  checkJsonObject("optimizerOptionsJson", checkpoint.optimizerOptionsJson);
  if (checkpoint.step < 0) throw ConfigError("training checkpoint: negative step " + std::to_string(checkpoint.step));
  engine::NamedTensors tensors;
  std::unordered_set<std::string> names;
  for (const Group& group : kGroups) {
    for (const auto& [name, tensor] : checkpoint.*group.member) {
      if (name.empty()) throw ConfigError(std::string("training checkpoint: an empty tensor name in ") + group.prefix);
      const std::string key = group.prefix + name;
      if (!names.insert(key).second) throw ConfigError("training checkpoint: tensor '" + key + "' is given twice");
      tensors.emplace_back(key, tensor);
    }
  }
  std::map<std::string, std::string> metadata{
      {"format", kTrainingCheckpointFormat},          {"format_version", std::to_string(kTrainingCheckpointVersion)},
      {"step", std::to_string(checkpoint.step)},      {"seed", std::to_string(checkpoint.seed)},
      {"settings", checkpoint.settingsJson},          {"resume", checkpoint.resumeJson},
      {"optimizer", checkpoint.optimizerOptionsJson},
  };
  // Hashed as they will be read back: contiguous CPU bytes under the file's dtype names. The
  // same host copies are written (the writer would otherwise copy a GPU tensor a second time).
  engine::NamedTensors onHost;
  std::vector<ChecksumTensor> hashed;
  for (const auto& [name, tensor] : tensors) {
    onHost.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
    const torch::Tensor& t = onHost.back().second;
    hashed.push_back(
        {name, io::dtypeName(engine::toDType(path, name, t.scalar_type())), t.sizes().vec(), t.data_ptr(), t.nbytes()});
  }
  metadata["checksum"] = checkpointChecksum(metadata, std::move(hashed));
  engine::writeTensors(path, onHost, metadata);
  util::removeStaleTempFiles(path);
}

TrainingCheckpoint loadTrainingCheckpoint(const std::string& path) {
  const io::StateDictIndex index = io::readSafetensors(path);
  const CheckpointHeader header = readCheckpointHeader(index);  // metadata, names and checksum checked
  TrainingCheckpoint checkpoint;
  checkpoint.path = path;
  checkpoint.step = header.step;
  checkpoint.seed = header.seed;
  checkpoint.settingsJson = header.settingsJson;
  checkpoint.resumeJson = header.resumeJson;
  checkpoint.optimizerOptionsJson = header.optimizerOptionsJson;
  for (const io::TensorInfo& info : index.tensors()) {
    const Group* group = nullptr;
    for (const Group& g : kGroups)
      if (info.name.rfind(g.prefix, 0) == 0) group = &g;
    // A copy, not a view: the mapping closes with `index`, and training writes to these.
    torch::Tensor tensor =
        engine::loadTensor(info, index.owner, torch::TensorOptions().dtype(engine::toScalarType(info.dtype)));
    (checkpoint.*group->member).emplace_back(info.name.substr(std::string(group->prefix).size()), std::move(tensor));
  }
  return checkpoint;
}

void restoreTrainable(const TrainingCheckpoint& checkpoint, const engine::NamedTensors& params) {
  std::unordered_map<std::string, const torch::Tensor*> saved;
  for (const auto& [name, tensor] : checkpoint.trainable) saved.emplace(name, &tensor);
  const std::string path = checkpoint.path.empty() ? "training checkpoint" : checkpoint.path;
  for (const auto& [name, param] : params) {
    const auto it = saved.find(name);
    if (it == saved.end())
      throw CheckpointError(path, "adapter." + name,
                            "is missing; the checkpoint was saved for other adapters (resume with the same settings)");
    if (it->second->sizes() != param.sizes())
      throw CheckpointError(path, "adapter." + name,
                            "has shape " + shapeToString(it->second->sizes().vec()) + " but the adapter expects " +
                                shapeToString(param.sizes().vec()) + " (another rank?)");
  }
  torch::NoGradGuard noGrad;
  for (const auto& [name, param] : params) torch::Tensor(param).copy_(*saved.at(name));
}

std::string checkpointFileIn(const std::string& dir) {
  return (std::filesystem::path(dir) / "checkpoint.safetensors").string();
}

std::vector<double> lossHistory(const TrainingCheckpoint& checkpoint) {
  return lossHistoryOf(checkpoint.resumeJson, checkpoint.path.empty() ? "training checkpoint" : checkpoint.path);
}

}  // namespace sm::training
