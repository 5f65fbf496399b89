#pragma once
// Builders for the tensors a model of a given config must have, by name and
// shape. The comparison itself (KeyCheck, checkTensors) is core/io's.
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/key_check.h"

namespace sm::models {

using io::checkTensors;
using io::ExpectedTensor;
using io::KeyCheck;
using io::ShapeMismatch;

/// Norm groups are invisible in weights: 32 (SD's value) when every channel
/// count allows it, else the largest count up to 32 that divides them all.
int inferNormGroups(const std::vector<int>& channels);

/// Appends weight (+ bias) entries; small builders the configs share.
void addLinear(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t in, int64_t outFeatures,
               bool bias = true);
void addConv(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t in, int64_t outChannels,
             int64_t kernel);
void addNorm(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t channels);

}  // namespace sm::models
