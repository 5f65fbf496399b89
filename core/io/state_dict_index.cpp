#include "core/io/state_dict_index.h"

#include "core/util/error.h"

namespace sm::io {

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool TensorInfo::isContiguous() const {
  if (strides.empty()) return true;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

StateDictIndex StateDictIndex::withoutTensors() const {
  StateDictIndex out;
  out.path = path;
  out.format = format;
  out.metadata = metadata;
  out.owner = owner;
  return out;
}

void StateDictIndex::add(TensorInfo info) {
  auto [it, inserted] = byName_.emplace(info.name, tensors_.size());
  if (!inserted) throw CheckpointError(path, info.name, "tensor name appears twice");
  tensors_.push_back(std::move(info));
}

const TensorInfo* StateDictIndex::find(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

bool StateDictIndex::hasPrefix(const std::string& prefix) const {
  for (const auto& t : tensors_)
    if (t.name.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

int64_t StateDictIndex::parameterCount() const {
  int64_t n = 0;
  for (const auto& t : tensors_) n += t.numel();
  return n;
}

}  // namespace sm::io
