#include "core/engine/tensor_writer.h"

#include "core/io/safetensors.h"
#include "core/util/error.h"

namespace sm::engine {

io::DType toDType(const std::string& path, const std::string& name, c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Double: return io::DType::F64;
    case c10::ScalarType::Float: return io::DType::F32;
    case c10::ScalarType::Half: return io::DType::F16;
    case c10::ScalarType::BFloat16: return io::DType::BF16;
    case c10::ScalarType::Long: return io::DType::I64;
    case c10::ScalarType::Int: return io::DType::I32;
    case c10::ScalarType::Short: return io::DType::I16;
    case c10::ScalarType::Char: return io::DType::I8;
    case c10::ScalarType::Byte: return io::DType::U8;
    case c10::ScalarType::Bool: return io::DType::Bool;
    default:
      throw CheckpointError(path, name,
                            std::string("has dtype ") + c10::toString(type) + ", which safetensors cannot hold");
  }
}

void writeTensors(const std::string& path, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata) {
  // The CPU copies must outlive the views handed to the writer.
  std::vector<torch::Tensor> host;
  host.reserve(tensors.size());
  std::vector<io::TensorView> views;
  views.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined()) throw CheckpointError(path, name, "is an undefined tensor");
    host.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const torch::Tensor& t = host.back();
    views.push_back({name, toDType(path, name, t.scalar_type()), t.sizes().vec(), t.data_ptr()});
  }
  io::writeSafetensors(path, views, metadata);
}

}  // namespace sm::engine
