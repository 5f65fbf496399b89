#pragma once
// The difference between the tensors a file holds and the tensors a model
// needs, by name and shape. The list of needed tensors comes from a model
// config (core/models: Config::expectedTensors()); comparing is a matter of
// names and shapes only, so it lives here and a ModelInfo can carry its result.
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::io {

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

KeyCheck checkTensors(const StateDictIndex& got, const std::vector<ExpectedTensor>& expected);

}  // namespace sm::io
