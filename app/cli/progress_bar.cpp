#include "app/cli/progress_bar.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "core/util/duration.h"

namespace sm::cli {
namespace {

struct BarState {
  bool tty = false;
  bool open = false;                               // a bar is drawn and the cursor sits at its end
  std::chrono::steady_clock::time_point lastLine;  // without a terminal: when the last line was printed
  std::map<std::string, double> metrics;           // the latest value of each series (training loss)
};

std::string bar(int64_t done, int64_t total, int width) {
  const int filled = total > 0 ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width) : 0;
  std::string s;
  for (int i = 0; i < width; ++i) s += i < filled ? "#" : "-";
  return s;
}

}  // namespace

jobs::JobListener stderrProgress(bool quiet) {
  auto state = std::make_shared<BarState>();
  state->tty = isatty(STDERR_FILENO) != 0;
  jobs::JobListener listener;
  if (!quiet) {
    listener.onProgress = [state](const jobs::Progress& p) {
      if (!state->tty) {
        // A log gets a line when a stage ends and at most one a second before.
        const auto now = std::chrono::steady_clock::now();
        if (p.done == 0) state->lastLine = now;
        if (p.done == 0 || (p.done < p.total && now - state->lastLine < std::chrono::seconds(1))) return;
        state->lastLine = now;
      }
      std::ostringstream line;
      line << p.stage << " ";
      if (state->tty) line << '[' << bar(p.done, p.total, 30) << "] ";
      line << p.done << "/" << p.total;
      if (p.done > 0) {
        line << "  " << formatDuration(p.secondsPerUnit) << "/it";
        if (p.done < p.total) line << "  eta " << formatDuration(p.etaSeconds);
      }
      for (const auto& [series, value] : state->metrics) {
        char number[32];
        std::snprintf(number, sizeof(number), "%.4g", value);
        line << "  " << series << " " << number;
      }
      if (state->tty) {
        std::cerr << "\r\033[K" << line.str() << std::flush;
        state->open = p.done < p.total;
        if (!state->open) std::cerr << "\n";
      } else {
        std::cerr << line.str() << "\n";
      }
    };
  }
  listener.onMetric = [state](const std::string& series, int64_t, double value) { state->metrics[series] = value; };
  listener.onLog = [state, quiet](jobs::LogLevel level, const std::string& message) {
    if (quiet && level == jobs::LogLevel::Info) return;
    if (state->open) std::cerr << "\r\033[K";
    std::cerr << (level == jobs::LogLevel::Warning ? "warning: " : "") << message << "\n";
  };
  return listener;
}

}  // namespace sm::cli
