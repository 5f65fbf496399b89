#pragma once
// Choosing the compute device for a job.
#include <torch/types.h>

#include <string>

namespace sm::engine {

/// "auto" (CUDA when usable, else CPU), "cpu" or "cuda"; throws ConfigError
/// for anything else, or for "cuda" when no usable GPU is found.
torch::Device selectDevice(const std::string& name);

}  // namespace sm::engine
