#pragma once
// FFmpeg writes notes of its own to stderr (x264's settings and statistics:
// ~180 lines per test run). From the first video read or written they are
// routed through one sink instead, at warning level: FFmpeg's warnings and
// errors arrive there as whole lines, its information is dropped.
#include <functional>
#include <string>

namespace sm::video {

/// `error`: FFmpeg's level was error or worse (else a warning). `line` has no newline.
using FfmpegLogSink = std::function<void(bool error, const std::string& line)>;

/// Routes FFmpeg's log to the sink (by default: "ffmpeg: LINE" on stderr). Idempotent;
/// the video reader and writer call it, programs may call it first.
void routeFfmpegLogs();

/// Replaces the sink (an empty one drops everything). Thread-safe.
void setFfmpegLogSink(FfmpegLogSink sink);

/// While one lives, FFmpeg's lines from this thread are held back: release()
/// forwards them to the sink, the destructor drops the rest. Opening a file
/// that turns out not to be a video makes FFmpeg guess aloud ("moov atom not
/// found"); the error thrown then says it in one line, so the guesses go.
class HeldFfmpegLogs {
 public:
  HeldFfmpegLogs();
  ~HeldFfmpegLogs();
  HeldFfmpegLogs(const HeldFfmpegLogs&) = delete;
  HeldFfmpegLogs& operator=(const HeldFfmpegLogs&) = delete;
  /// Forwards what was held and stops holding.
  void release();

 private:
  bool owns_ = false;  // an inner hold leaves the outer one's lines to it
};

}  // namespace sm::video
