#pragma once
// Choosing the compute device for a job.
#include <torch/types.h>

#include <string>

namespace sm::engine {

/// "auto" (CUDA when usable, else CPU), "cpu" or "cuda"; throws ConfigError
/// for anything else, or for "cuda" when no usable GPU is found.
torch::Device selectDevice(const std::string& name);

/// "auto" (fp16 on CUDA, fp32 on the CPU), "fp32", "fp16" or "bf16". fp16 is
/// refused on the CPU (few CPU kernels have it; bf16 or fp32 work there).
/// Throws ConfigError naming the value.
torch::ScalarType selectDtype(const std::string& name, torch::Device device);

/// "fp32", "fp16", "bf16" (or c10's name for others).
std::string dtypeName(torch::ScalarType dtype);

}  // namespace sm::engine
