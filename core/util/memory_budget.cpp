#include "core/util/memory_budget.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace sm::util {

double MemoryEstimate::total() const {
  double sum = 0;
  for (const MemoryTerm& term : terms) sum += term.bytes;
  return sum;
}

const MemoryTerm& MemoryEstimate::largest() const {
  return *std::max_element(terms.begin(), terms.end(),
                           [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes < b.bytes; });
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

void requireMemory(const MemoryEstimate& estimate, const std::string& job, uint64_t available, bool force) {
  if (force || available == 0 || estimate.terms.empty()) return;
  const double need = estimate.total();
  if (need <= kUsableFraction * static_cast<double>(available)) return;
  const MemoryTerm& largest = estimate.largest();
  std::ostringstream message;
  message << job << " needs about " << formatBytes(need) << " of memory, but " << formatBytes(available)
          << " is free; most of it is " << largest.what << " (" << formatBytes(largest.bytes) << "): lower "
          << largest.lower << ". (--force runs it anyway)";
  throw OutOfMemoryError(message.str());
}

}  // namespace sm::util
