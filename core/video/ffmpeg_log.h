#pragma once
// FFmpeg writes notes (x264's settings, "deprecated pixel format" ...) to
// stderr by itself; programs that own stderr (the CLI's progress bar) quiet it.

namespace sm::video {

/// Only FFmpeg errors reach stderr from now on (our own errors carry FFmpeg's message anyway).
void quietFfmpegLogs();

}  // namespace sm::video
