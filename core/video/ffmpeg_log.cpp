#include "core/video/ffmpeg_log.h"

#include <cstdarg>
#include <iostream>
#include <mutex>
#include <utility>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

namespace sm::video {
namespace {

std::mutex sinkMutex;
FfmpegLogSink& sink() {
  static FfmpegLogSink current = [](bool, const std::string& line) { std::cerr << "ffmpeg: " << line << "\n"; };
  return current;
}

// Lines held on this thread (HeldFfmpegLogs), or null when not holding.
thread_local std::vector<std::pair<bool, std::string>>* held = nullptr;

void deliver(bool error, const std::string& line) {
  std::lock_guard lock(sinkMutex);
  if (sink()) sink()(error, line);
}

// FFmpeg may log a line in several calls: pieces gather per thread until the newline.
void forward(void* object, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING) return;
  thread_local std::string pending;
  thread_local int printPrefix = 1;
  char piece[1024];
  av_log_format_line2(object, level, format, args, piece, sizeof piece, &printPrefix);
  pending += piece;
  size_t newline;
  while ((newline = pending.find('\n')) != std::string::npos) {
    const std::string line = pending.substr(0, newline);
    pending.erase(0, newline + 1);
    if (line.empty()) continue;
    if (held)
      held->emplace_back(level <= AV_LOG_ERROR, line);
    else
      deliver(level <= AV_LOG_ERROR, line);
  }
}

}  // namespace

void routeFfmpegLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_WARNING);
    av_log_set_callback(forward);
  });
}

void setFfmpegLogSink(FfmpegLogSink newSink) {
  routeFfmpegLogs();
  std::lock_guard lock(sinkMutex);
  sink() = std::move(newSink);
}

HeldFfmpegLogs::HeldFfmpegLogs() : owns_(held == nullptr) {
  if (owns_) held = new std::vector<std::pair<bool, std::string>>();
}

HeldFfmpegLogs::~HeldFfmpegLogs() {
  if (!owns_) return;
  delete held;
  held = nullptr;
}

void HeldFfmpegLogs::release() {
  if (!owns_ || !held) return;
  owns_ = false;
  std::vector<std::pair<bool, std::string>> lines = std::move(*held);
  delete held;
  held = nullptr;
  for (const auto& [error, line] : lines) deliver(error, line);
}

}  // namespace sm::video
