#include "core/io/key_maps/key_map.h"

namespace sm::io {

bool startsWithModule(const std::string& key, const std::string& prefix) {
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  return key.size() == prefix.size() || key[prefix.size()] == '.';
}

void PrefixKeyMap::add(std::string from, std::string to, const InnerRenames* inner, bool squeezeToLinear) {
  rules_.push_back({std::move(from), std::move(to), inner, squeezeToLinear});
}

const PrefixRule* PrefixKeyMap::match(const std::string& key) const {
  const PrefixRule* best = nullptr;
  for (const auto& rule : rules_)
    if (startsWithModule(key, rule.from) && (!best || rule.from.size() > best->from.size())) best = &rule;
  return best;
}

std::string PrefixKeyMap::map(const std::string& key) const {
  const PrefixRule* rule = match(key);
  if (!rule) return {};
  std::string rest = key.substr(rule->from.size());  // ".inner.path" or ""
  if (rule->inner && !rest.empty()) {
    const std::string inner = rest.substr(1);
    for (const auto& [from, to] : *rule->inner) {
      if (startsWithModule(inner, from)) {
        rest = "." + to + inner.substr(from.size());
        break;
      }
    }
  }
  return rule->to + rest;
}

std::string PrefixKeyMap::unmap(const std::string& renamedKey, bool* unsqueeze) const {
  const PrefixRule* rule = nullptr;
  for (const auto& r : rules_)
    if (startsWithModule(renamedKey, r.to) && (!rule || r.to.size() > rule->to.size())) rule = &r;
  if (unsqueeze) *unsqueeze = rule && rule->squeezeToLinear;
  if (!rule) return {};
  std::string rest = renamedKey.substr(rule->to.size());  // ".inner.path" or ""
  if (rule->inner && !rest.empty()) {
    const std::string inner = rest.substr(1);
    for (const auto& [from, to] : *rule->inner) {
      if (startsWithModule(inner, to)) {
        rest = "." + from + inner.substr(to.size());
        break;
      }
    }
  }
  return rule->from + rest;
}

RenamedComponent renameComponent(const StateDictIndex& source, const std::string& sourcePrefix,
                                 const PrefixKeyMap& map) {
  RenamedComponent out{source.withoutTensors(), {}};
  for (const auto& t : source.tensors()) {
    if (t.name.compare(0, sourcePrefix.size(), sourcePrefix) != 0) continue;
    const std::string key = t.name.substr(sourcePrefix.size());
    const PrefixRule* rule = map.match(key);
    if (!rule) {
      out.unmapped.push_back(t.name);
      continue;
    }
    TensorInfo renamed = t;
    renamed.name = map.map(key);
    if (rule->squeezeToLinear) {
      // [C, C, 1, 1] or [C, C, 1] -> [C, C]: same bytes, so still zero-copy.
      while (renamed.shape.size() > 2 && renamed.shape.back() == 1) {
        renamed.shape.pop_back();
        if (!renamed.strides.empty()) renamed.strides.pop_back();
      }
    }
    out.weights.add(std::move(renamed));
  }
  return out;
}

}  // namespace sm::io
