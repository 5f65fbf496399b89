#include "core/io/key_check.h"

#include <unordered_map>

#include "core/util/error.h"

namespace sm::io {

KeyCheck checkTensors(const StateDictIndex& got, const std::vector<ExpectedTensor>& expected) {
  KeyCheck check;
  std::unordered_map<std::string, const ExpectedTensor*> wanted;
  for (const auto& e : expected) wanted.emplace(e.name, &e);
  for (const auto& e : expected) {
    const TensorInfo* t = got.find(e.name);
    if (!t)
      check.missing.push_back(e.name);
    else if (t->shape != e.shape)
      check.shapeMismatches.push_back({e.name, e.shape, t->shape});
  }
  for (const auto& t : got.tensors())
    if (!wanted.count(t.name)) check.unexpected.push_back(t.name);
  return check;
}

std::string KeyCheck::describe(size_t limit) const {
  std::vector<std::string> lines;
  for (const auto& k : missing) lines.push_back("missing key '" + k + "'");
  for (const auto& k : unexpected) lines.push_back("unexpected key '" + k + "'");
  for (const auto& m : shapeMismatches)
    lines.push_back("'" + m.name + "': expected shape " + shapeToString(m.expected) + ", got " + shapeToString(m.got));
  std::string out;
  for (size_t i = 0; i < lines.size() && i < limit; ++i) out += (i ? "\n" : "") + lines[i];
  if (lines.size() > limit) out += "\n... and " + std::to_string(lines.size() - limit) + " more";
  return out;
}

}  // namespace sm::io
