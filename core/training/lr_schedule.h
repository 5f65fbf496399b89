#pragma once
// The learning-rate schedule of the adapters' training: a linear warm-up to the
// base rate, then constant (diffusers' "constant_with_warmup").
#include <algorithm>
#include <cstdint>

namespace sm::training {

/// The rate for step `step` (0-based): base * min(1, (step + 1) / warmupSteps).
/// warmupSteps <= 0 means no warm-up: the base rate from the first step.
inline double warmupConstantLR(double base, int64_t step, int64_t warmupSteps) {
  if (warmupSteps <= 0) return base;
  return base * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(warmupSteps));
}

}  // namespace sm::training
