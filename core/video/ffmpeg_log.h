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

}  // namespace sm::video
