#include "core/models/expected_tensor.h"

namespace sm::models {

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
