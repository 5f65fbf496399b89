#include "core/training/checkpoint_format.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "core/io/dtype.h"
#include "core/util/checksum.h"
#include "core/util/error.h"

namespace sm::training {
namespace {

constexpr const char* kCheckedFields[] = {"step", "seed", "settings", "resume", "optimizer"};

const std::string& metadataField(const io::StateDictIndex& index, const std::string& key) {
  const auto it = index.metadata.find(key);
  if (it == index.metadata.end())
    throw CheckpointError(index.path, key,
                          "the training checkpoint's metadata lacks '" + key + "'; the file is damaged");
  return it->second;
}

// Digits only: stoull would accept " 12abc".
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

std::string checkpointChecksum(const std::map<std::string, std::string>& fields, std::vector<ChecksumTensor> tensors) {
  uint64_t h = 0;
  for (const char* key : kCheckedFields) {
    h = util::checksum64(key, h);
    h = util::checksum64(fields.at(key), h);
  }
  std::sort(tensors.begin(), tensors.end(),
            [](const ChecksumTensor& a, const ChecksumTensor& b) { return a.name < b.name; });
  for (const ChecksumTensor& t : tensors) {
    h = util::checksum64(t.name, h);
    h = util::checksum64(t.dtype, h);
    h = util::checksum64(t.shape.data(), t.shape.size() * sizeof(int64_t), h);
    h = util::checksum64(t.data, t.bytes, h);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

CheckpointHeader readCheckpointHeader(const io::StateDictIndex& index) {
  const std::string& path = index.path;
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
  if (version != 2 && version != static_cast<uint64_t>(kTrainingCheckpointVersion))
    throw CheckpointError(path, "format_version",
                          "training checkpoint format version " + std::to_string(version) +
                              " is not supported (this build reads versions 2 and " +
                              std::to_string(kTrainingCheckpointVersion) + "); update Still-Moving Studio");
  CheckpointHeader header;
  header.version = static_cast<int>(version);
  const uint64_t step = unsignedField(index, "step");
  // Steps are counted in an int everywhere a run uses them: a larger one is damage, not progress.
  if (step > static_cast<uint64_t>(kMaxCheckpointStep))
    throw CheckpointError(path, "step",
                          "metadata 'step' is " + std::to_string(step) + ", beyond any run (at most " +
                              std::to_string(kMaxCheckpointStep) + "); the file is damaged");
  header.step = static_cast<int64_t>(step);
  header.seed = unsignedField(index, "seed");
  header.settingsJson = jsonField(index, "settings");
  header.resumeJson = jsonField(index, "resume");
  header.optimizerOptionsJson = jsonField(index, "optimizer");

  bool anyTrained = false;
  std::vector<ChecksumTensor> tensors;
  for (const io::TensorInfo& info : index.tensors()) {
    const char* group = nullptr;
    for (const char* g : kCheckpointGroups)
      if (info.name.rfind(g, 0) == 0 && info.name.size() > std::string_view(g).size()) group = g;
    if (!group)
      throw CheckpointError(path, info.name, "unexpected tensor in a training checkpoint; the file is damaged");
    anyTrained = anyTrained || group == kCheckpointGroups[0];
    if (!info.strides.empty())
      throw CheckpointError(path, info.name,
                            "is stored with strides, which the trainer never writes; the file is damaged");
    tensors.push_back({info.name, io::dtypeName(info.dtype), info.shape,
                       info.data + info.storageOffset * static_cast<int64_t>(io::dtypeSize(info.dtype)),
                       info.byteSize()});
  }
  if (!anyTrained)
    throw CheckpointError(path,
                          "the training checkpoint holds no trainable (\"adapter.\") tensors; the file is damaged");
  if (header.version >= 3) {  // version 2 files carry no checksum
    std::map<std::string, std::string> fields;
    for (const char* key : kCheckedFields) fields[key] = metadataField(index, key);
    if (metadataField(index, "checksum") != checkpointChecksum(fields, std::move(tensors)))
      throw CheckpointError(path, "checksum",
                            "the training checkpoint's content does not match its checksum: the file is damaged "
                            "(a disk or copy error). Delete it and start afresh, or restore it from a backup");
  }
  const std::vector<double> history = lossHistoryOf(header.resumeJson, path);
  if (history.size() > static_cast<size_t>(header.step))
    throw CheckpointError(path, "resume",
                          "the loss history has " + std::to_string(history.size()) + " entries for " +
                              std::to_string(header.step) + " steps; the file is damaged");
  return header;
}

std::vector<double> lossHistoryOf(const std::string& resumeJson, const std::string& path) {
  const nlohmann::json resume = nlohmann::json::parse(resumeJson, nullptr, false);
  if (!resume.is_object() || !resume.contains("loss_history") || !resume["loss_history"].is_array()) return {};
  std::vector<double> history;
  for (const nlohmann::json& value : resume["loss_history"]) {
    if (!value.is_number())
      throw CheckpointError(path, "resume",
                            "the loss history holds '" +
                                value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                                "', not a number; the file is damaged");
    history.push_back(value.get<double>());
  }
  return history;
}

}  // namespace sm::training
