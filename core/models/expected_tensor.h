#pragma once
// The tensors a model of a given config must have, by name and shape: what
// the key-map checks compare a file against to report missing, unexpected and
// mis-shaped keys by name.
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::models {

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected;
  std::vector<int64_t> got;
};

/// The difference between what a model needs and what a file holds.
struct KeyCheck {
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::vector<ShapeMismatch> shapeMismatches;
  bool ok() const { return missing.empty() && unexpected.empty() && shapeMismatches.empty(); }
  /// One line per problem, at most `limit` lines (then "... and N more").
  std::string describe(size_t limit = 20) const;
};

KeyCheck checkTensors(const io::StateDictIndex& got, const std::vector<ExpectedTensor>& expected);

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
