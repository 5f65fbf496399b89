#pragma once
// What a weights file holds, without loading it: every tensor's name, dtype,
// shape and where its bytes are. Both readers (safetensors and PyTorch zip
// checkpoints) produce one; LibTorch tensors are made from it later
// (core/io/tensor_loader.h), zero-copy where the layout allows.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io/dtype.h"

namespace sm::io {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Strides in elements; empty means contiguous row-major.
  std::vector<int64_t> strides;
  /// Offset of element 0 from `data`, in elements.
  int64_t storageOffset = 0;
  /// Start of the storage the tensor views (inside the mapped file).
  const std::byte* data = nullptr;
  /// Bytes available from `data` (the whole storage); the view stays inside it.
  size_t storageBytes = 0;

  int64_t numel() const;
  size_t byteSize() const { return static_cast<size_t>(numel()) * dtypeSize(dtype); }
  bool isContiguous() const;
};

class StateDictIndex {
 public:
  /// Path of the file the tensors come from.
  std::string path;
  /// "safetensors" or "torch-zip".
  std::string format;
  /// safetensors `__metadata__`, or scalar entries found beside a checkpoint's state dict.
  std::map<std::string, std::string> metadata;
  /// Keeps the mapped file alive while any TensorInfo points into it.
  std::shared_ptr<const void> owner;

  /// An index of the same file (path, format, metadata, owner) with no
  /// tensors yet: the start of a renamed or filtered view of this one.
  StateDictIndex withoutTensors() const;

  void add(TensorInfo info);
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  /// Whether any tensor name starts with `prefix`.
  bool hasPrefix(const std::string& prefix) const;
  size_t size() const { return tensors_.size(); }
  int64_t parameterCount() const;

 private:
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> byName_;
};

}  // namespace sm::io
