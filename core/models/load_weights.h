#pragma once
// Loads a diffusers-named StateDictIndex into a LibTorch module whose
// register_module names are the checkpoint keys (the loader contract of
// STYLE.md §2): a missing key is an error unless declared optional, a shape
// mismatch is a ShapeError naming the key, unexpected keys are listed.
// Each tensor is copied straight from the memory-mapped file into the
// module's parameter, converting dtype on the way: the model never exists
// twice in memory.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::models {

struct LoadOptions {
  /// Keys of the module allowed to be absent from the file (they keep their initial values).
  std::function<bool(const std::string&)> optional;
  /// Keys in the file to ignore silently (e.g. recomputed buffers).
  std::function<bool(const std::string&)> ignore;
  /// Device and floating dtype the parameters should end up in. Each one is
  /// re-allocated there just before its copy, so a module built with fp32
  /// initial values on the CPU is converted tensor by tensor: no moment holds
  /// a second full copy. Integer and bool tensors keep their dtype.
  std::optional<torch::TensorOptions> target;
};

struct LoadReport {
  std::vector<std::string> unexpected;  ///< in the file, not in the module
  std::vector<std::string> leftAtInit;  ///< optional keys the file did not have
  size_t loaded = 0;
};

/// Throws CheckpointError listing missing keys (by name), ShapeError on a mismatch.
LoadReport loadWeights(torch::nn::Module& module, const io::StateDictIndex& weights, const LoadOptions& options = {});

}  // namespace sm::models
