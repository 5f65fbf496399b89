#pragma once
// Writing a clip to disk with FFmpeg: MP4 (H.264), GIF or a folder of PNG frames.
#include <atomic>
#include <functional>
#include <string>

#include "core/video/video_frames.h"

namespace sm::video {

struct WriteOptions {
  /// x264 constant rate factor, 0 (lossless) to 51; lower is better. MP4 only.
  int crf = 18;
  /// x264 preset: ultrafast … medium … veryslow. MP4 only.
  std::string preset = "medium";
  /// Called after each frame is handed to the encoder, with (frames done, total).
  std::function<void(int done, int total)> onProgress;
  /// When it becomes true the write stops, nothing is left on disk, and sm::Cancelled is thrown.
  const std::atomic<bool>* cancel = nullptr;
};

/// Writes `clip` to `path`; the kind of output follows from the path:
/// - `*.mp4`: H.264 (libx264), yuv420p, BT.709 limited range, `crf`/`preset`, moov atom at the
///   front (faststart), one frame per 1/fps. H.264 4:2:0 needs an even width and height: an odd
///   size is padded to the next even one by repeating the last column and/or row.
/// - `*.gif`: 256-colour palette computed from the whole clip (palettegen + paletteuse with
///   dithering), looping forever. Delays are whole 1/100 s and at least 2/100 s (browsers slow
///   shorter ones down), so frame times are rounded and a clip over 50 fps plays at 50 fps.
/// - an existing folder, or a path without extension: PNG files `frame_00000.png`, … (lossless).
///   The folder is created if missing. When it already exists, its `frame_NNNNN.png` files are
///   replaced (each rename is atomic, the set is not) and stale ones beyond the clip removed.
/// Files are written to a temporary name in the same folder and renamed when complete, so a
/// failure or cancellation leaves no partial output and an old file at `path` intact.
/// Throws sm::VideoIOError (bad clip, unsupported extension, FFmpeg or disk failure) or
/// sm::Cancelled.
void writeVideo(const std::string& path, const VideoClip& clip, const WriteOptions& options = {});

}  // namespace sm::video
