#pragma once
// LibTorch tensors from a StateDictIndex. Contiguous, aligned tensors are
// views into the memory-mapped file (zero copy); the rest are copied.
#include <torch/types.h>

#include <string>
#include <unordered_map>

#include "core/io/state_dict_index.h"

namespace sm::engine {

c10::ScalarType toScalarType(io::DType dtype);

/// A tensor viewing the file's bytes when the layout allows (the view keeps
/// the mapping alive; it is read-only memory: clone before writing to it).
/// Throws CheckpointError for dtypes LibTorch has no type for.
torch::Tensor viewTensor(const io::TensorInfo& info, const std::shared_ptr<const void>& owner);

/// The tensor converted to `options` (dtype, device); never shares the file's memory.
torch::Tensor loadTensor(const io::TensorInfo& info, const std::shared_ptr<const void>& owner,
                         const torch::TensorOptions& options);

/// Every tensor of the index as a read-only view (see viewTensor).
std::unordered_map<std::string, torch::Tensor> viewStateDict(const io::StateDictIndex& index);

}  // namespace sm::engine
