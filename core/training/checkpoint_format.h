#pragma once
// The torch-free half of a training checkpoint (training_checkpoint.h): its
// metadata, the grouping of its tensor names and its checksum, read from a
// parsed safetensors file. In sm_formats, so that a fuzzer can feed it any bytes.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::training {

inline constexpr const char* kTrainingCheckpointFormat = "stillmoving-training-checkpoint";
inline constexpr int kTrainingCheckpointVersion = 3;
/// The largest step a checkpoint may record (runs count steps in an int).
inline constexpr int64_t kMaxCheckpointStep = 2147483647;
/// Tensor name prefixes: the trained tensors, the optimizer's state, random generators' states.
inline constexpr const char* kCheckpointGroups[] = {"adapter.", "optimizer.", "rng."};

/// What the metadata says, checked.
struct CheckpointHeader {
  int version = kTrainingCheckpointVersion;
  int64_t step = 0;
  uint64_t seed = 0;
  std::string settingsJson, resumeJson, optimizerOptionsJson;  ///< JSON objects
};

/// Validates a training checkpoint's metadata (format, version, numbers in
/// range, JSON fields), its tensor names (each in one group, at least one
/// trained tensor) and, from version 3, its checksum over the raw bytes.
/// Throws CheckpointError naming `index.path` and what is wrong.
CheckpointHeader readCheckpointHeader(const io::StateDictIndex& index);

/// One tensor as the checksum sees it: contiguous bytes.
struct ChecksumTensor {
  std::string_view name;   ///< with its group prefix
  std::string_view dtype;  ///< io::dtypeName
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t bytes = 0;
};

/// The checksum over the metadata fields a resume reads (step, seed,
/// settings, resume, optimizer; each must be in `fields`) and every tensor's
/// name, dtype, shape and bytes, in name order, as 16 hex digits.
std::string checkpointChecksum(const std::map<std::string, std::string>& fields, std::vector<ChecksumTensor> tensors);

/// The mean loss of every step as `resumeJson` records it ("loss_history"); empty
/// when it records none. Throws CheckpointError naming `path` for a non-number.
std::vector<double> lossHistoryOf(const std::string& resumeJson, const std::string& path);

}  // namespace sm::training
