#pragma once
// The safetensors format (ARCHITECTURE_FACTS §9.1): an 8-byte little-endian
// header length, a JSON header, then the raw tensor bytes. Reading never copies
// tensor data; writing streams it and replaces the target atomically.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/io/dtype.h"
#include "core/io/state_dict_index.h"

namespace sm::io {

/// The reference reader's limit; a larger header is treated as corrupt.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// Maps `path` and indexes it. Each TensorInfo points into the mapping, which
/// `owner` keeps alive; format is "safetensors". Throws CheckpointError naming
/// the file (and the tensor) when the file is not valid safetensors.
StateDictIndex readSafetensors(const std::string& path);

/// Validates and indexes `size` bytes of a safetensors file held by the caller,
/// who must keep them alive as long as the index is used (`owner` is empty).
/// `pathForErrors` is only used in messages and as the index's path.
StateDictIndex parseSafetensors(const std::byte* data, size_t size, const std::string& pathForErrors);

/// One tensor to write: `data` holds numel × dtypeSize(dtype) bytes, row-major.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};

/// Writes a safetensors file in the reference layout: header padded with
/// spaces to a multiple of 8, data ordered by descending dtype alignment, then
/// name. `__metadata__` is written only when `metadata` is non-empty. The file
/// appears complete or not at all; throws CheckpointError for bad tensors
/// (duplicate or non-UTF-8 names...) and util::FileWriteError for I/O failures.
void writeSafetensors(const std::string& path, const std::vector<TensorView>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Writes every tensor of `index` (strided views are packed) with its metadata.
void writeSafetensors(const std::string& path, const StateDictIndex& index);

}  // namespace sm::io
