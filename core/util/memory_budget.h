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
  /// Where the models run (weights, activations): GPU memory on a GPU, RAM on the CPU.
  /// Otherwise always RAM (decoded frames, previews).
  bool onComputeDevice = false;
};

struct MemoryEstimate {
  std::vector<MemoryTerm> terms;
  void add(std::string what, double bytes, std::string lower, bool onComputeDevice = false) {
    terms.push_back({std::move(what), bytes, std::move(lower), onComputeDevice});
  }
  /// The bytes in RAM: all of them, or with the models on a GPU (`gpu`) the rest.
  double ram(bool gpu) const;
  /// The bytes of the models' terms.
  double gpu() const;
  double total() const { return ram(false); }
  /// The largest term in GPU memory (`gpu`) or in RAM, the models being on a GPU or not
  /// (`onGpu`); the estimate must not be empty.
  const MemoryTerm& largest(bool gpu, bool onGpu) const;
  const MemoryTerm& largest() const { return largest(false, false); }
};

/// Free memory where a job runs: RAM always; the GPU's when the models run on one.
struct FreeMemory {
  uint64_t ram = 0;      ///< 0: unknown (never refused)
  bool gpu = false;      ///< the models run on a GPU
  uint64_t gpuFree = 0;  ///< 0: unknown (never refused; CUDA's own out-of-memory is still a clean message)
};

/// Memory the system can give now without swapping (MemAvailable); 0 when unknown.
uint64_t availableMemoryBytes();

/// "1.5 GB", "820 MB".
std::string formatBytes(double bytes);

/// The part of the free memory a job may plan to use: the rest is the margin
/// for the estimate's error and for everything else running.
inline constexpr double kUsableFraction = 0.85;

/// Throws OutOfMemoryError when the RAM part of `estimate` exceeds kUsableFraction
/// of the free RAM or, with the models on a GPU, its GPU part that of the free GPU
/// memory, and `force` is off. The message names `job`, which memory, both sizes,
/// the largest term and what lowers it.
void requireMemory(const MemoryEstimate& estimate, const std::string& job, const FreeMemory& free, bool force);
/// Everything in RAM (the models on the CPU), `available` bytes free.
void requireMemory(const MemoryEstimate& estimate, const std::string& job, uint64_t available, bool force);

}  // namespace sm::util
