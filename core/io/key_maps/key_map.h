#pragma once
// Table-driven renaming of state-dict keys from a foreign naming (LDM,
// original AnimateDiff, ControlNet v1) to the diffusers names used inside the
// program. A rule maps a module prefix to another prefix and may rename the
// module's inner parameter paths (e.g. LDM resnets' `in_layers.0` -> `norm1`).
#include <string>
#include <utility>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::io {

using InnerRenames = std::vector<std::pair<std::string, std::string>>;

struct PrefixRule {
  std::string from;
  std::string to;
  const InnerRenames* inner = nullptr;
  /// LDM stores some attention projections as 1x1 convs; diffusers as Linear.
  bool squeezeToLinear = false;
};

class PrefixKeyMap {
 public:
  void add(std::string from, std::string to, const InnerRenames* inner = nullptr, bool squeezeToLinear = false);
  /// The rule whose `from` is the longest prefix of `key` (matched up to a dot), or nullptr.
  const PrefixRule* match(const std::string& key) const;
  /// The renamed key, or an empty string when no rule covers it.
  std::string map(const std::string& key) const;
  /// The inverse of map(): the rule whose `to` is the longest module prefix of
  /// `renamedKey`, its inner renames applied backwards. Empty when no rule
  /// covers the key. `unsqueeze`, when given, is set to the rule's
  /// squeezeToLinear: a writer of the source naming must give 2-D weights back
  /// their trailing 1x1 dimensions.
  std::string unmap(const std::string& renamedKey, bool* unsqueeze = nullptr) const;
  size_t size() const { return rules_.size(); }

 private:
  std::vector<PrefixRule> rules_;
};

/// Result of renaming one component out of a checkpoint.
struct RenamedComponent {
  StateDictIndex weights;
  /// Source keys under the component's prefix that no rule covers.
  std::vector<std::string> unmapped;
};

/// Renames every tensor whose key starts with `sourcePrefix` (which is
/// stripped first) through `map`. Tensors keep pointing at the source bytes.
RenamedComponent renameComponent(const StateDictIndex& source, const std::string& sourcePrefix,
                                 const PrefixKeyMap& map);

/// True when `key` starts with `prefix` followed by a dot or the end.
bool startsWithModule(const std::string& key, const std::string& prefix);

}  // namespace sm::io
