#include "core/engine/tensor_loader.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace sm::engine {

c10::ScalarType toScalarType(io::DType dtype) {
  switch (dtype) {
    case io::DType::F64: return torch::kFloat64;
    case io::DType::F32: return torch::kFloat32;
    case io::DType::F16: return torch::kFloat16;
    case io::DType::BF16: return torch::kBFloat16;
    case io::DType::I64: return torch::kInt64;
    case io::DType::I32: return torch::kInt32;
    case io::DType::I16: return torch::kInt16;
    case io::DType::I8: return torch::kInt8;
    case io::DType::U8: return torch::kUInt8;
    case io::DType::Bool: return torch::kBool;
    case io::DType::U16: return torch::kUInt16;
    case io::DType::U32: return torch::kUInt32;
    case io::DType::U64: return torch::kUInt64;
    case io::DType::F8E4M3: return torch::kFloat8_e4m3fn;
    case io::DType::F8E5M2: return torch::kFloat8_e5m2;
  }
  throw Error("unknown dtype");
}

torch::Tensor viewTensor(const io::TensorInfo& info, const std::shared_ptr<const void>& owner) {
  const auto scalarType = toScalarType(info.dtype);
  const size_t elementSize = io::dtypeSize(info.dtype);
  std::vector<int64_t> strides = info.strides;
  if (strides.empty()) {
    strides.assign(info.shape.size(), 1);
    for (size_t i = info.shape.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(info.shape[i], 1);
  }
  const auto options = torch::TensorOptions().dtype(scalarType);
  if (info.numel() == 0) return torch::empty(info.shape, options);
  auto* start = const_cast<std::byte*>(info.data) + info.storageOffset * static_cast<int64_t>(elementSize);
  const bool aligned = reinterpret_cast<uintptr_t>(start) % elementSize == 0;
  if (aligned) {
    // The deleter holds the mapping, so the view outlives the StateDictIndex safely.
    auto keepAlive = owner;
    return torch::from_blob(
        start, info.shape, strides, [keepAlive](void*) {}, options);
  }
  // Files from other writers may misalign tensors; LibTorch kernels need alignment.
  torch::Tensor copy = torch::empty_strided(info.shape, strides, options);
  int64_t span = 1;
  for (size_t i = 0; i < info.shape.size(); ++i) span += (info.shape[i] - 1) * strides[i];
  std::memcpy(copy.data_ptr(), start, static_cast<size_t>(span) * elementSize);
  return copy;
}

torch::Tensor loadTensor(const io::TensorInfo& info, const std::shared_ptr<const void>& owner,
                         const torch::TensorOptions& options) {
  torch::Tensor view = viewTensor(info, owner);
  torch::Tensor out = view.to(options, /*non_blocking=*/false, /*copy=*/true);
  return out.is_contiguous() ? out : out.contiguous();
}

std::unordered_map<std::string, torch::Tensor> viewStateDict(const io::StateDictIndex& index) {
  std::unordered_map<std::string, torch::Tensor> out;
  out.reserve(index.size());
  for (const auto& t : index.tensors()) out.emplace(t.name, viewTensor(t, index.owner));
  return out;
}

}  // namespace sm::engine
