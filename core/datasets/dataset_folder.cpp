#include "core/datasets/dataset_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/datasets/dataset_manifest.h"
#include "core/util/error.h"
#include "core/video/video_writer.h"

namespace fs = std::filesystem;

namespace sm::datasets {
namespace {

const std::set<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".webp", ".bmp"};
const std::set<std::string> kVideoExtensions = {".mp4", ".mov", ".mkv",  ".webm", ".avi", ".gif",
                                                ".m4v", ".mpg", ".mpeg", ".wmv",  ".flv"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> listMedia(const std::string& folder, const std::set<std::string>& extensions,
                                   const std::string& what) {
  if (!fs::is_directory(folder)) throw InputError(folder + ": no such folder of " + what);
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file()) continue;
    if (extensions.count(lower(entry.path().extension().string()))) files.push_back(entry.path().string());
  }
  if (files.empty()) {
    std::string list;
    for (const std::string& e : extensions) list += (list.empty() ? "" : " ") + e;
    throw InputError(folder + " holds no " + what + " (" + list + ")");
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

// A dataset's own files, and the temporary files of a writer killed while
// writing one of them (".NAME.tmp-..."); any other hidden file is the user's.
bool isDatasetFile(const fs::path& path) {
  static const std::set<std::string> kNames = {kManifestFile, kLatentsFile, kPreviewFile, "previews", "images"};
  const std::string name = path.filename().string();
  return kNames.count(name) > 0 || (!name.empty() && name[0] == '.' && name.find(".tmp") != std::string::npos);
}

void checkDatasetFolder(const std::string& folder) {
  const fs::path dir(folder);
  if (!fs::exists(dir)) return;
  if (!fs::is_directory(dir)) throw ConfigError(folder + " is a file, not a dataset folder");
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (!isDatasetFile(entry.path()))
      throw ConfigError(folder + " holds other files than a dataset's (" + entry.path().filename().string() +
                        "): choose a new or empty folder");
}

std::vector<std::string> listImages(const std::string& folder) { return listMedia(folder, kImageExtensions, "images"); }
std::vector<std::string> listVideos(const std::string& folder) { return listMedia(folder, kVideoExtensions, "videos"); }

std::string captionFor(const std::string& mediaFile, const std::string& fallback) {
  fs::path sidecar(mediaFile);
  sidecar.replace_extension(".txt");
  std::ifstream in(sidecar);
  if (!in) return fallback;
  std::stringstream text;
  text << in.rdbuf();
  std::string caption = text.str();
  const auto first = caption.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return fallback;
  const auto last = caption.find_last_not_of(" \t\r\n");
  return caption.substr(first, last - first + 1);
}

std::string sampleKey(size_t index) {
  std::string digits = std::to_string(index);
  return std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

void writePng(const std::string& path, const video::Frame& frame) {
  // The writer makes PNGs only as frame folders: write a one-frame folder beside
  // the target (each of its files is written atomically) and rename its frame.
  const fs::path target(path);
  const fs::path scratch = target.parent_path() / ("." + target.filename().string() + ".tmp");
  fs::remove_all(scratch);
  fs::create_directories(scratch);  // an existing folder: the writer's PNG-frames mode
  video::VideoClip clip;
  clip.fps = 1;
  clip.frames.push_back(frame);
  try {
    video::writeVideo(scratch.string(), clip);
    fs::rename(scratch / "frame_00000.png", target);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
    throw;
  }
  fs::remove_all(scratch);
}

video::Frame thumbnail(const video::Frame& frame, int maxSide) {
  const int longSide = std::max(frame.width, frame.height);
  if (longSide <= maxSide) return frame;
  const double scale = static_cast<double>(maxSide) / longSide;
  video::Frame out;
  out.width = std::max(1, static_cast<int>(std::lround(frame.width * scale)));
  out.height = std::max(1, static_cast<int>(std::lround(frame.height * scale)));
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  // Area average: each output pixel is the mean of the source pixels it covers.
  for (int y = 0; y < out.height; ++y) {
    const int y0 = y * frame.height / out.height, y1 = std::max(y0 + 1, (y + 1) * frame.height / out.height);
    for (int x = 0; x < out.width; ++x) {
      const int x0 = x * frame.width / out.width, x1 = std::max(x0 + 1, (x + 1) * frame.width / out.width);
      for (int c = 0; c < 3; ++c) {
        int64_t sum = 0;
        for (int sy = y0; sy < y1; ++sy)
          for (int sx = x0; sx < x1; ++sx) sum += frame.rgb[(static_cast<size_t>(sy) * frame.width + sx) * 3 + c];
        const int64_t count = static_cast<int64_t>(y1 - y0) * (x1 - x0);
        out.rgb[(static_cast<size_t>(y) * out.width + x) * 3 + c] = static_cast<uint8_t>((sum + count / 2) / count);
      }
    }
  }
  return out;
}

video::Frame contactSheet(const std::vector<video::Frame>& thumbnails, int gap) {
  const int count = static_cast<int>(thumbnails.size());
  const int columns = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count)))));
  const int rows = std::max(1, (count + columns - 1) / columns);
  int cellWidth = 1, cellHeight = 1;
  for (const video::Frame& t : thumbnails) {
    cellWidth = std::max(cellWidth, t.width);
    cellHeight = std::max(cellHeight, t.height);
  }
  video::Frame sheet;
  sheet.width = columns * cellWidth + (columns + 1) * gap;
  sheet.height = rows * cellHeight + (rows + 1) * gap;
  sheet.rgb.assign(static_cast<size_t>(sheet.width) * sheet.height * 3, 32);
  for (int i = 0; i < count; ++i) {
    const video::Frame& t = thumbnails[static_cast<size_t>(i)];
    const int left = gap + (i % columns) * (cellWidth + gap) + (cellWidth - t.width) / 2;
    const int top = gap + (i / columns) * (cellHeight + gap) + (cellHeight - t.height) / 2;
    for (int y = 0; y < t.height; ++y)
      std::copy_n(t.rgb.begin() + static_cast<ptrdiff_t>(y) * t.width * 3, t.width * 3,
                  sheet.rgb.begin() + (static_cast<ptrdiff_t>(top + y) * sheet.width + left) * 3);
  }
  return sheet;
}

}  // namespace sm::datasets
