#pragma once
// The Spatial Adapters (Still-Moving §3.2): after each injected customized
// T2I layer a low-rank map y' = y + B A y (B = 0 at first). Trained through
// the whole video model, with the Motion Adapter at a = 1 on frozen customized
// videos and at a = 0 on natural videos (prior preservation); kept at inference.
// Convolutions get a 1x1 low-rank map over their output channels.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/adapters/low_rank_adapter.h"

namespace sm::adapters {

/// The layer groups of the spatial UNet that can get adapters:
///   attention     to_q, to_k, to_v, to_out.0 of the spatial transformers' attn1/attn2
///   feed-forward  their ff.net.0.proj and ff.net.2
///   projections   the transformers' proj_in and proj_out
///   resnets       conv1, conv2, conv_shortcut and time_emb_proj of every resnet
///   sampling      the down- and upsamplers' convs
///   io            conv_in, conv_out and the time embedding's two Linears
const std::vector<std::string>& spatialAdapterGroups();

/// The group of a UNet3D module path, or nothing for motion-module layers and
/// modules that are not adaptable layers of the spatial UNet.
std::optional<std::string> spatialAdapterGroup(const std::string& layerPath);

/// Throws ConfigError naming the first group that is not in spatialAdapterGroups(), and listing those.
void requireKnownSpatialAdapterGroups(const std::vector<std::string>& groups);

struct SpatialAdaptersOptions {
  int64_t rank = 32;
  /// Subset of spatialAdapterGroups(); empty means all.
  std::vector<std::string> groups;
  uint64_t seed = 0;
};

class SpatialAdapters : public LowRankAdapter {
 public:
  /// Fresh adapters (changing nothing) on every Linear and Conv2d of the chosen
  /// groups, fingerprinted with the UNet (the customized weights) they are made
  /// on. Throws ConfigError for an unknown group or a rank < 1.
  static std::shared_ptr<SpatialAdapters> create(models::UNet3D& unet, const SpatialAdaptersOptions& options);

 private:
  using LowRankAdapter::LowRankAdapter;
};

/// Loads an adapter file and checks it holds Spatial Adapters.
std::shared_ptr<LowRankAdapter> loadSpatialAdapters(const std::string& path);

}  // namespace sm::adapters
