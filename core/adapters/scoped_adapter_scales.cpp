#include "core/adapters/scoped_adapter_scales.h"

namespace sm::adapters {

ScopedAdapterScales::ScopedAdapterScales(const std::vector<std::shared_ptr<UNetAdapter>>& adapters,
                                         const AdapterScales& scales) {
  previous_.reserve(adapters.size());
  try {
    for (const auto& adapter : adapters) {
      const double before = adapter->scale();
      adapter->setScale(adapter->kind() == AdapterKind::Motion ? scales.motion : scales.spatial);
      previous_.emplace_back(adapter, before);
    }
  } catch (...) {
    restore();  // a refused scale (not finite) leaves the others as they were
    throw;
  }
}

ScopedAdapterScales::~ScopedAdapterScales() { restore(); }

void ScopedAdapterScales::restore() {
  for (auto it = previous_.rbegin(); it != previous_.rend(); ++it) it->first->setScale(it->second);
  previous_.clear();
}

}  // namespace sm::adapters
