#pragma once
// Refusing work that cannot fit before it starts: a job's peak memory is
// estimated from its settings (a sum of named terms), compared with the memory
// free now, and refused with a message naming the largest term and the
// settings that shrink it. An estimate, not a measurement: it errs large on
// small models and is meant to stop requests that are off by orders of
// magnitude (a 4096-frame 4096x4096 dataset), in a second, before any
// allocation. `force` runs the job anyway.
#include <cstdint>
#include <string>
#include <vector>

namespace sm::util {

struct MemoryTerm {
  std::string what;  ///< "the decoded video"
  double bytes = 0;
  std::string lower;  ///< the settings that shrink it: "--frames, --width/--height"
};

struct MemoryEstimate {
  std::vector<MemoryTerm> terms;
  void add(std::string what, double bytes, std::string lower) {
    terms.push_back({std::move(what), bytes, std::move(lower)});
  }
  double total() const;
  /// The largest term (the estimate must not be empty).
  const MemoryTerm& largest() const;
};

/// Memory the system can give now without swapping (MemAvailable); 0 when unknown.
uint64_t availableMemoryBytes();

/// "1.5 GB", "820 MB".
std::string formatBytes(double bytes);

/// The part of the free memory a job may plan to use: the rest is the margin
/// for the estimate's error and for everything else running.
inline constexpr double kUsableFraction = 0.85;

/// Throws OutOfMemoryError when `estimate` exceeds kUsableFraction of
/// `available` bytes (0: unknown, never refused) and `force` is off. The
/// message names `job`, both sizes, the largest term and what lowers it.
void requireMemory(const MemoryEstimate& estimate, const std::string& job, uint64_t available, bool force);

}  // namespace sm::util
