#pragma once
// A training run's resumable state in one safetensors file: the trainable
// tensors ("adapter.<name>"), the optimizer's state ("optimizer.<name>"), the
// random generators' states ("rng.<name>") and, in `__metadata__`, the format
// ("stillmoving-training-checkpoint", format_version 3), the step, the seed,
// the optimizer's options, the training settings, whatever else the trainer
// needs to resume exactly (JSON strings of the caller's making) and a checksum
// of all of it and of every tensor, verified on load (version 2 files, the
// same without a checksum, still load).
// Version 1 held the state of the optimizer Still-Moving had before it used
// torch::optim::AdamW; it is refused with a message that says to start afresh.
//
// Saving replaces the file atomically (temp file, fsync, rename): a process
// killed while saving leaves the previous checkpoint intact, plus at most a
// hidden ".<name>.tmp-<pid>-..." file, which no loader takes for a checkpoint
// and which the next save of the same file removes (util::removeStaleTempFiles).
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "core/engine/named_tensors.h"
#include "core/training/checkpoint_format.h"

namespace sm::training {

struct TrainingCheckpoint {
  /// Optimizer steps done when it was saved.
  int64_t step = 0;
  uint64_t seed = 0;
  /// The training settings, serialized by the caller: a JSON object.
  std::string settingsJson = "{}";
  /// Anything else an exact resume needs (position in the data order, loss
  /// history...): a JSON object.
  std::string resumeJson = "{}";
  /// The optimizer's options (adamWOptionsJson()): a JSON object.
  std::string optimizerOptionsJson = "{}";
  /// The tensors being trained, by name (without the "adapter." prefix).
  engine::NamedTensors trainable;
  /// adamWState(), by name (without the "optimizer." prefix).
  engine::NamedTensors optimizer;
  /// at::Generator::get_state() of each generator, by name (without "rng.").
  engine::NamedTensors generators;
  /// The file it was loaded from (empty when built in memory).
  std::string path;
};

/// Writes `checkpoint` to `path` atomically, then removes temporary files that
/// killed writers of `path` left. Throws ConfigError when a JSON field is not
/// a JSON object or a name is empty or repeated, CheckpointError for a tensor
/// safetensors cannot hold, util::FileWriteError when writing fails (the old
/// file is then unchanged).
void saveTrainingCheckpoint(const std::string& path, const TrainingCheckpoint& checkpoint);

/// Reads a checkpoint written by saveTrainingCheckpoint; tensors are CPU
/// copies (the file is closed afterwards). Throws CheckpointError naming the
/// file when it is unreadable, not a training checkpoint, of another format
/// version (an older one's message says to train afresh), or has a malformed
/// field or an unexpected tensor.
TrainingCheckpoint loadTrainingCheckpoint(const std::string& path);

/// The checkpoint file a training run keeps in its checkpoint folder `dir`.
std::string checkpointFileIn(const std::string& dir);
/// The mean loss of every step so far, as the checkpoint records it (empty when none).
std::vector<double> lossHistory(const TrainingCheckpoint& checkpoint);

/// Copies the checkpoint's trainable tensors into `params` (matched by name,
/// converted to each parameter's dtype and device). Throws CheckpointError
/// naming the file and the tensor when one is missing or has another shape;
/// nothing is copied then.
void restoreTrainable(const TrainingCheckpoint& checkpoint, const engine::NamedTensors& params);

}  // namespace sm::training
