#include "core/adapters/spatial_adapters.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <regex>

#include "core/util/error.h"

namespace sm::adapters {

const std::vector<std::string>& spatialAdapterGroups() {
  static const std::vector<std::string> groups = {"attention", "feed-forward", "projections",
                                                  "resnets",   "sampling",     "io"};
  return groups;
}

std::optional<std::string> spatialAdapterGroup(const std::string& layerPath) {
  static const std::vector<std::pair<std::regex, std::string>> patterns = {
      {std::regex(R"(.*\.attentions\.\d+\.transformer_blocks\.\d+\.attn\d\.(to_q|to_k|to_v|to_out\.0))"), "attention"},
      {std::regex(R"(.*\.attentions\.\d+\.transformer_blocks\.\d+\.ff\.net\.(0\.proj|2))"), "feed-forward"},
      {std::regex(R"(.*\.attentions\.\d+\.(proj_in|proj_out))"), "projections"},
      {std::regex(R"(.*\.resnets\.\d+\.(conv1|conv2|conv_shortcut|time_emb_proj))"), "resnets"},
      {std::regex(R"(.*\.(downsamplers|upsamplers)\.0\.conv)"), "sampling"},
      {std::regex(R"(conv_in|conv_out|time_embedding\.linear_[12])"), "io"},
  };
  if (layerPath.find(".motion_modules.") != std::string::npos) return std::nullopt;
  for (const auto& [pattern, group] : patterns)
    if (std::regex_match(layerPath, pattern)) return group;
  return std::nullopt;
}

void requireKnownSpatialAdapterGroups(const std::vector<std::string>& groups) {
  const auto& known = spatialAdapterGroups();
  for (const std::string& g : groups) {
    if (std::find(known.begin(), known.end(), g) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw ConfigError("unknown Spatial Adapter layer group '" + g + "'; the groups are " + list);
  }
}

std::shared_ptr<SpatialAdapters> SpatialAdapters::create(models::UNet3D& unet, const SpatialAdaptersOptions& options) {
  if (options.rank < 1) throw ConfigError("Spatial Adapters rank must be >= 1, got " + std::to_string(options.rank));
  requireKnownSpatialAdapterGroups(options.groups);
  std::vector<std::string> groups = options.groups.empty() ? spatialAdapterGroups() : options.groups;
  AdapterMetadata meta;
  meta.kind = AdapterKind::Spatial;
  meta.rank = options.rank;
  for (const std::string& g : groups) meta.targets += (meta.targets.empty() ? "" : ",") + g;
  const UNetFingerprint fingerprint = fingerprintUNet(*unet);
  meta.baseFingerprint = fingerprint.spatial;
  meta.motionFingerprint = fingerprint.motion;
  std::shared_ptr<SpatialAdapters> adapter(new SpatialAdapters(meta, LowRankSide::Output));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  for (const auto& item : unet->named_modules("", false)) {
    const auto group = spatialAdapterGroup(item.key());
    if (!group || std::find(groups.begin(), groups.end(), *group) == groups.end()) continue;
    if (auto linear = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(item.value())) {
      const int64_t out = linear->weight.size(0);
      adapter->addFreshLayer(item.key(), out, out, false, options.rank, generator);
    } else if (auto conv = std::dynamic_pointer_cast<nn::AdaptableConv2dImpl>(item.value())) {
      const int64_t out = conv->weight.size(0);
      adapter->addFreshLayer(item.key(), out, out, true, options.rank, generator);
    }
  }
  if (adapter->layerCount() == 0) throw ConfigError("the chosen Spatial Adapter groups match no layer of this UNet");
  return adapter;
}

std::shared_ptr<LowRankAdapter> loadSpatialAdapters(const std::string& path) {
  auto adapter = LowRankAdapter::load(path);
  if (adapter->kind() != AdapterKind::Spatial)
    throw CheckpointError(path, "is a " + adapterKindName(adapter->kind()) + " file, not Spatial Adapters");
  return adapter;
}

}  // namespace sm::adapters
