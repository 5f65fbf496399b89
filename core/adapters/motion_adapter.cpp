#include "core/adapters/motion_adapter.h"

#include <ATen/CPUGeneratorImpl.h>

#include <regex>

#include "core/util/error.h"

namespace sm::adapters {

bool isMotionAdapterTarget(const std::string& layerPath) {
  static const std::regex pattern(
      R"(.*\.motion_modules\.\d+\.transformer_blocks\.\d+\.attn\d+\.(to_q|to_k|to_v|to_out\.0))");
  return std::regex_match(layerPath, pattern);
}

std::shared_ptr<MotionAdapter> MotionAdapter::create(models::UNet3D& unet, const MotionAdapterOptions& options) {
  if (!unet->hasMotionModules())
    throw ConfigError("a Motion Adapter adapts the motion modules: load an AnimateDiff motion module first");
  if (options.rank < 1) throw ConfigError("Motion Adapter rank must be >= 1, got " + std::to_string(options.rank));
  AdapterMetadata meta;
  meta.kind = AdapterKind::Motion;
  meta.rank = options.rank;
  meta.targets = "temporal-attention";
  const UNetFingerprint fingerprint = fingerprintUNet(*unet);
  meta.baseFingerprint = fingerprint.spatial;
  meta.motionFingerprint = fingerprint.motion;
  std::shared_ptr<MotionAdapter> adapter(new MotionAdapter(meta, LowRankSide::Input));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  for (const auto& item : unet->named_modules("", false)) {
    if (!isMotionAdapterTarget(item.key())) continue;
    auto linear = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(item.value());
    if (!linear) continue;
    adapter->addFreshLayer(item.key(), linear->weight.size(1), linear->weight.size(0), false, options.rank, generator);
  }
  if (adapter->layerCount() == 0) throw ConfigError("the motion modules have no temporal attention to adapt");
  return adapter;
}

std::shared_ptr<LowRankAdapter> loadMotionAdapter(const std::string& path) {
  auto adapter = LowRankAdapter::load(path);
  if (adapter->kind() != AdapterKind::Motion)
    throw CheckpointError(path, "is a " + adapterKindName(adapter->kind()) + " file, not a Motion Adapter");
  return adapter;
}

}  // namespace sm::adapters
