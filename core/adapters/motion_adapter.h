#pragma once
// The Motion Adapter (Still-Moving §3.1): LoRA on q, k, v and out of every
// temporal attention in the motion modules, W' = W + a B A. Trained once per
// base T2V on frozen videos at a = 1; afterwards its scale a is the motion
// slider: 1 static, 0 the original model, below 0 more motion than the original.
#include <memory>

#include "core/adapters/low_rank_adapter.h"

namespace sm::adapters {

struct MotionAdapterOptions {
  int64_t rank = 32;
  /// Seeds A's random initialization.
  uint64_t seed = 0;
};

class MotionAdapter : public LowRankAdapter {
 public:
  /// A fresh adapter for `unet`'s motion modules (B = 0: changes nothing),
  /// fingerprinted with the UNet it is made on. Throws ConfigError when the
  /// UNet has no motion modules or the rank is < 1.
  static std::shared_ptr<MotionAdapter> create(models::UNet3D& unet, const MotionAdapterOptions& options);

 private:
  using LowRankAdapter::LowRankAdapter;
};

/// Whether `layerPath` (a UNet3D module path) is a temporal-attention
/// projection the Motion Adapter adapts.
bool isMotionAdapterTarget(const std::string& layerPath);

/// Loads an adapter file and checks it is a Motion Adapter.
std::shared_ptr<LowRankAdapter> loadMotionAdapter(const std::string& path);

}  // namespace sm::adapters
