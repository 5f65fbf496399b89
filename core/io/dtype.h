#pragma once
// Element types of tensors stored in model files, independent of LibTorch so
// that the file readers (and their fuzzers) build without it.
#include <cstddef>
#include <optional>
#include <string_view>

namespace sm::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, U16, U32, U64, F8E4M3, F8E5M2 };

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// The safetensors spelling: "F32", "BF16", "BOOL"...
std::string_view dtypeName(DType dtype);
/// Parses the safetensors spelling; nullopt for anything else.
std::optional<DType> dtypeFromName(std::string_view name);

}  // namespace sm::io
