#pragma once
// What the benchmarks measure besides time: resident memory (Linux), process
// CPU time, and the median of repeated runs.
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace sm::bench {

/// Peak resident memory in GiB (ru_maxrss is in KiB on Linux).
inline double maxRssGiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
}

/// Current resident memory in GiB (/proc/self/status fields are in kB); -1 when unknown.
inline double currentRssGiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / (1024.0 * 1024.0);
  return -1.0;
}

/// Resets the high-water mark that ru_maxrss reports (Linux >= 4.0), so that the
/// peak of the timed part is measured apart from the peak of building the model.
inline bool resetPeakRss() {
  std::ofstream clearRefs("/proc/self/clear_refs");
  clearRefs << "5";
  clearRefs.flush();
  return clearRefs.good();
}

/// User plus system CPU time of the process, all threads.
inline double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace sm::bench
