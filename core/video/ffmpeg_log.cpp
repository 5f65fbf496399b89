#include "core/video/ffmpeg_log.h"

#include <cstdarg>
#include <iostream>
#include <mutex>

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
    std::lock_guard lock(sinkMutex);
    if (sink()) sink()(level <= AV_LOG_ERROR, line);
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

}  // namespace sm::video
