#pragma once
// The adapters' scales belong to a request, not to the adapters (LibTorch-free:
// requests carry it). ScopedAdapterScales (scoped_adapter_scales.h) applies it
// to one call.
namespace sm::adapters {

/// The scale of each adapter kind for one call.
struct AdapterScales {
  /// The Motion Adapter's a (the motion slider): 0 the original motion, 1 static, < 0 more motion.
  double motion = 0.0;
  /// The Spatial Adapters' strength: 1 as trained, 0 off.
  double spatial = 1.0;
};

}  // namespace sm::adapters
