#pragma once
// LibTorch tensors to a safetensors file (atomically, through io::writeSafetensors):
// the one way core writes adapters, datasets' latents and training checkpoints.
#include <torch/types.h>

#include <map>
#include <string>

#include "core/engine/named_tensors.h"
#include "core/io/dtype.h"

namespace sm::engine {

/// The safetensors dtype of a LibTorch scalar type; CheckpointError naming
/// `path` and tensor `name` for one safetensors cannot hold.
io::DType toDType(const std::string& path, const std::string& name, c10::ScalarType type);

/// Writes `tensors` (any device, any layout; copied to contiguous CPU memory
/// first) with `metadata` as `__metadata__`. The file appears complete or not
/// at all. Throws CheckpointError for a dtype safetensors cannot hold or a
/// duplicate name, util::FileWriteError for I/O failures.
void writeTensors(const std::string& path, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata = {});

}  // namespace sm::engine
