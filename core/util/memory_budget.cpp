#include "core/util/memory_budget.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace sm::util {

double MemoryEstimate::ram(bool gpu) const {
  double sum = 0;
  for (const MemoryTerm& term : terms)
    if (!gpu || !term.onComputeDevice) sum += term.bytes;
  return sum;
}

double MemoryEstimate::gpu() const {
  double sum = 0;
  for (const MemoryTerm& term : terms)
    if (term.onComputeDevice) sum += term.bytes;
  return sum;
}

const MemoryTerm& MemoryEstimate::largest(bool gpu, bool onGpu) const {
  const MemoryTerm* best = nullptr;
  for (const MemoryTerm& term : terms) {
    const bool inGpu = onGpu && term.onComputeDevice;
    if (inGpu == gpu && (!best || term.bytes > best->bytes)) best = &term;
  }
  return best ? *best : terms.front();
}

uint64_t availableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1) return kib * 1024ULL;
  }
  return 0;
}

std::string formatBytes(double bytes) {
  char text[32];
  if (bytes >= 1e12)
    std::snprintf(text, sizeof text, "%.1f TB", bytes / 1e12);
  else if (bytes >= 1e9)
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  else
    std::snprintf(text, sizeof text, "%.0f MB", bytes / 1e6);
  return text;
}

namespace {

void refuseBeyond(const MemoryEstimate& estimate, const std::string& job, double need, uint64_t available, bool gpu,
                  bool onGpu) {
  if (available == 0 || need <= kUsableFraction * static_cast<double>(available)) return;
  const MemoryTerm& largest = estimate.largest(gpu, onGpu);
  std::ostringstream message;
  message << job << " needs about " << formatBytes(need) << " of " << (gpu ? "GPU memory" : "memory") << ", but "
          << formatBytes(static_cast<double>(available)) << " is free; most of it is " << largest.what << " ("
          << formatBytes(largest.bytes) << "): lower " << largest.lower << ". (--force runs it anyway)";
  throw OutOfMemoryError(message.str());
}

}  // namespace

void requireMemory(const MemoryEstimate& estimate, const std::string& job, const FreeMemory& free, bool force) {
  if (force || estimate.terms.empty()) return;
  refuseBeyond(estimate, job, estimate.ram(free.gpu), free.ram, false, free.gpu);
  if (free.gpu) refuseBeyond(estimate, job, estimate.gpu(), free.gpuFree, true, true);
}

void requireMemory(const MemoryEstimate& estimate, const std::string& job, uint64_t available, bool force) {
  requireMemory(estimate, job, FreeMemory{available, false, 0}, force);
}

}  // namespace sm::util
