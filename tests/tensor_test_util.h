#pragma once
// Helpers the LibTorch test suites share: reading reference tensors and
// measuring how far an output is from them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <map>
#include <string>

#include "core/engine/tensor_loader.h"
#include "core/io/state_dict_reader.h"

namespace sm::test {

/// Every tensor of a safetensors/ckpt file, copied out of the mapping.
inline std::map<std::string, torch::Tensor> readTensors(const std::string& path) {
  const io::StateDictIndex index = io::readStateDict(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& t : index.tensors()) out[t.name] = engine::viewTensor(t, index.owner).clone();
  return out;
}

/// Max |a - b| computed in float64; the shapes must agree.
inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

/// Prints a parity figure and records it in the test's XML properties.
inline void reportError(const std::string& what, double error) {
  ::testing::Test::RecordProperty(what, std::to_string(error));
  std::cout << "[ max abs error ] " << what << " = " << error << "\n";
}

}  // namespace sm::test
