#include "core/training/training_checkpoint.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/engine/tensor_loader.h"
#include "core/engine/tensor_writer.h"
#include "core/io/safetensors.h"
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

const std::string& metadataField(const io::StateDictIndex& index, const std::string& key) {
  const auto it = index.metadata.find(key);
  if (it == index.metadata.end())
    throw CheckpointError(index.path, key,
                          "the training checkpoint's metadata lacks '" + key + "'; the file is damaged");
  return it->second;
}

// Digits only: stoll would accept " 12abc".
uint64_t unsignedField(const io::StateDictIndex& index, const std::string& key) {
  const std::string& text = metadataField(index, key);
  const bool digits = !text.empty() && text.size() <= 20 && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    try {
      return std::stoull(text);
    } catch (const std::out_of_range&) {
    }
  }
  throw CheckpointError(index.path, key, "metadata '" + key + "' is '" + text + "', not a non-negative integer");
}

std::string jsonField(const io::StateDictIndex& index, const std::string& key) {
  const std::string& text = metadataField(index, key);
  if (!nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_object())
    throw CheckpointError(index.path, key, "metadata '" + key + "' is not a JSON object; the file is damaged");
  return text;
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
  const std::map<std::string, std::string> metadata{
      {"format", kTrainingCheckpointFormat},          {"format_version", std::to_string(kTrainingCheckpointVersion)},
      {"step", std::to_string(checkpoint.step)},      {"seed", std::to_string(checkpoint.seed)},
      {"settings", checkpoint.settingsJson},          {"resume", checkpoint.resumeJson},
      {"optimizer", checkpoint.optimizerOptionsJson},
  };
  engine::writeTensors(path, tensors, metadata);
  util::removeStaleTempFiles(path);
}

TrainingCheckpoint loadTrainingCheckpoint(const std::string& path) {
  const io::StateDictIndex index = io::readSafetensors(path);
  const auto format = index.metadata.find("format");
  if (format == index.metadata.end() || format->second != kTrainingCheckpointFormat)
    throw CheckpointError(path, "not a Still-Moving training checkpoint (its metadata format is '" +
                                    (format == index.metadata.end() ? std::string("none") : format->second) +
                                    "'); choose a file the trainer saved");
  const uint64_t version = unsignedField(index, "format_version");
  if (version == 1)
    throw CheckpointError(path, "format_version",
                          "training checkpoint format version 1 holds the optimizer state of an older Still-Moving "
                          "Studio, which this build cannot continue exactly; start the training again without "
                          "resuming (the new run's checkpoints replace this file)");
  if (version != static_cast<uint64_t>(kTrainingCheckpointVersion))
    throw CheckpointError(path, "format_version",
                          "training checkpoint format version " + std::to_string(version) +
                              " is not supported (this build reads version " +
                              std::to_string(kTrainingCheckpointVersion) + "); update Still-Moving Studio");
  TrainingCheckpoint checkpoint;
  checkpoint.path = path;
  const uint64_t step = unsignedField(index, "step");
  if (step > static_cast<uint64_t>(INT64_MAX)) throw CheckpointError(path, "step", "metadata 'step' is out of range");
  checkpoint.step = static_cast<int64_t>(step);
  checkpoint.seed = unsignedField(index, "seed");
  checkpoint.settingsJson = jsonField(index, "settings");
  checkpoint.resumeJson = jsonField(index, "resume");
  checkpoint.optimizerOptionsJson = jsonField(index, "optimizer");
  for (const io::TensorInfo& info : index.tensors()) {
    const Group* group = nullptr;
    for (const Group& g : kGroups)
      if (info.name.rfind(g.prefix, 0) == 0) group = &g;
    if (!group || info.name.size() == std::string(group->prefix).size())
      throw CheckpointError(path, info.name, "unexpected tensor in a training checkpoint; the file is damaged");
    // A copy, not a view: the mapping closes with `index`, and training writes to these.
    torch::Tensor tensor =
        engine::loadTensor(info, index.owner, torch::TensorOptions().dtype(engine::toScalarType(info.dtype)));
    (checkpoint.*group->member).emplace_back(info.name.substr(std::string(group->prefix).size()), std::move(tensor));
  }
  if (checkpoint.trainable.empty())
    throw CheckpointError(path,
                          "the training checkpoint holds no trainable (\"adapter.\") tensors; the file is damaged");
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
  const nlohmann::json resume = nlohmann::json::parse(checkpoint.resumeJson, nullptr, false);
  if (!resume.is_object() || !resume.contains("loss_history") || !resume["loss_history"].is_array()) return {};
  return resume["loss_history"].get<std::vector<double>>();
}

}  // namespace sm::training
