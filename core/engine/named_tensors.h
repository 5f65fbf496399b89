#pragma once
// Tensors with their names, in order: what adapters hand to the optimizer,
// what training checkpoints hold and what engine::writeTensors writes. A
// vector, not a map, because the order is the file's and the optimizer's.
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace sm::engine {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

}  // namespace sm::engine
