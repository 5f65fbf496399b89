#pragma once
// The files around a dataset build that need no LibTorch: preparing the output
// folder, finding the user's images and videos and their captions, PNG files
// and the contact sheet.
#include <string>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::datasets {

/// Throws ConfigError unless `folder` is missing, empty, or holds only a
/// dataset's files: a build replaces the whole folder, and nothing of the
/// user's is ever deleted.
void checkDatasetFolder(const std::string& folder);

/// Images (.png .jpg .jpeg .webp .bmp) / videos (.mp4 .mov .mkv .webm .avi
/// .gif .m4v .mpg .mpeg .wmv .flv) directly in `folder`, sorted by name,
/// hidden files skipped. Throws ConfigError naming the folder when it is
/// missing or holds none.
std::vector<std::string> listImages(const std::string& folder);
std::vector<std::string> listVideos(const std::string& folder);

/// The caption of `mediaFile`: the text of `NAME.txt` beside it (whitespace
/// trimmed) when there is one, else `fallback`.
std::string captionFor(const std::string& mediaFile, const std::string& fallback);

/// "0000", "0001", …: the name of sample `index` in latents.safetensors and of its files.
std::string sampleKey(size_t index);

/// Writes one frame as an 8-bit RGB PNG, atomically (FFmpeg's PNG encoder).
/// Throws VideoIOError.
void writePng(const std::string& path, const video::Frame& frame);

/// `frame` shrunk (area average, aspect kept) to fit in `maxSide` x `maxSide`; never enlarged.
video::Frame thumbnail(const video::Frame& frame, int maxSide);

/// The thumbnails in a grid (about square, row by row) on a dark background,
/// `gap` pixels apart. All thumbnails may differ in size; cells fit the largest.
video::Frame contactSheet(const std::vector<video::Frame>& thumbnails, int gap = 4);

}  // namespace sm::datasets
