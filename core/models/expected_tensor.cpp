#include "core/models/expected_tensor.h"

#include <unordered_map>

#include "core/util/error.h"

namespace sm::models {

KeyCheck checkTensors(const io::StateDictIndex& got, const std::vector<ExpectedTensor>& expected) {
  KeyCheck check;
  std::unordered_map<std::string, const ExpectedTensor*> wanted;
  for (const auto& e : expected) wanted.emplace(e.name, &e);
  for (const auto& e : expected) {
    const io::TensorInfo* t = got.find(e.name);
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

int inferNormGroups(const std::vector<int>& channels) {
  for (int groups = 32; groups > 1; --groups) {
    bool divides = true;
    for (int c : channels) divides = divides && c % groups == 0;
    if (divides) return groups;
  }
  return 1;
}

void addLinear(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t in, int64_t outFeatures,
               bool bias) {
  out.push_back({prefix + ".weight", {outFeatures, in}});
  if (bias) out.push_back({prefix + ".bias", {outFeatures}});
}

void addConv(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t in, int64_t outChannels,
             int64_t kernel) {
  out.push_back({prefix + ".weight", {outChannels, in, kernel, kernel}});
  out.push_back({prefix + ".bias", {outChannels}});
}

void addNorm(std::vector<ExpectedTensor>& out, const std::string& prefix, int64_t channels) {
  out.push_back({prefix + ".weight", {channels}});
  out.push_back({prefix + ".bias", {channels}});
}

}  // namespace sm::models
