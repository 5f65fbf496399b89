#pragma once
// A pipeline sets the adapters' scales for the duration of one call and puts
// the previous values back when the call ends (or throws), so nothing of one
// request reaches the next: the scales live in the request, not in the adapters.
#include <memory>
#include <utility>
#include <vector>

#include "core/adapters/adapter_scales.h"
#include "core/adapters/unet_adapter.h"

namespace sm::adapters {

class ScopedAdapterScales {
 public:
  /// Sets every adapter of `adapters` to its kind's scale in `scales`.
  ScopedAdapterScales(const std::vector<std::shared_ptr<UNetAdapter>>& adapters, const AdapterScales& scales);
  /// Puts each adapter's previous scale back.
  ~ScopedAdapterScales();
  ScopedAdapterScales(const ScopedAdapterScales&) = delete;
  ScopedAdapterScales& operator=(const ScopedAdapterScales&) = delete;

 private:
  void restore();
  std::vector<std::pair<std::shared_ptr<UNetAdapter>, double>> previous_;
};

}  // namespace sm::adapters
