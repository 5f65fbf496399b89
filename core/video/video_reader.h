#pragma once
// Reading videos (anything FFmpeg decodes, or a folder of images) into RGB frames.
#include <atomic>
#include <string>

#include "core/video/video_frames.h"

namespace sm::video {

enum class ResizeMode {
  /// Scale to exactly width x height, ignoring the aspect ratio.
  Stretch,
  /// Scale (keeping the aspect ratio) to cover width x height, then crop the centre.
  CenterCrop,
};

struct ReadOptions {
  /// Output size. Both 0: the source size. One 0: derived from the other, keeping the aspect ratio.
  int width = 0;
  int height = 0;
  /// Stop after this many output frames; 0 = all.
  int maxFrames = 0;
  /// Take every `stride`-th frame (1 = all). The clip's fps is divided by it.
  int stride = 1;
  /// Skip this many source frames first (counted before the stride applies).
  int startFrame = 0;
  ResizeMode resize = ResizeMode::Stretch;
  /// A folder of images carries no frame rate: this is the one reported for it.
  double imageFolderFps = 24.0;
  /// When it becomes true reading stops and sm::Cancelled is thrown.
  const std::atomic<bool>* cancel = nullptr;
};

struct VideoInfo {
  int width = 0;
  int height = 0;
  double fps = 0.0;
  /// Exact when the container says (e.g. MP4), otherwise duration x fps rounded; 0 when unknown.
  int64_t frameCount = 0;
  double durationSeconds = 0.0;
  /// FFmpeg's codec name: "h264", "gif", "png", …
  std::string codecName;
};

/// Decodes the best video stream of `path` (any file FFmpeg reads, including single images), or
/// every image in `path` when it is a folder (sorted by name, hidden files skipped; all must have
/// the same size). Pixels are converted to RGB24 honouring the source's colour matrix and range.
/// Throws sm::VideoIOError naming the file and FFmpeg's error text when the file is missing,
/// unreadable, has no video stream, or is corrupt or truncated; sm::Cancelled when cancelled.
VideoClip readVideo(const std::string& path, const ReadOptions& options = {});

/// Reads only the headers of `path` (or a folder of images, see readVideo).
/// Throws sm::VideoIOError like readVideo.
VideoInfo probeVideo(const std::string& path);

}  // namespace sm::video
