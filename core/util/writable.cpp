#include "core/util/writable.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::util {
namespace {

void requireWritableDirectory(const fs::path& dir, const std::string& target) {
  if (::access(dir.c_str(), W_OK | X_OK) == 0) return;
  const int err = errno;
  const std::string why = err == EROFS ? "is on a read-only file system" : "is not writable";
  throw FileWriteError(target, err,
                       "cannot write here: the folder " + dir.string() + " " + why + ": choose another output");
}

fs::path folderOf(const fs::path& p) { return p.parent_path().empty() ? fs::path(".") : p.parent_path(); }

}  // namespace

void requireWritableFile(const std::string& file) {
  if (file.empty()) throw ConfigError("no output file given");
  const fs::path folder = folderOf(fs::path(file));
  if (!fs::is_directory(folder)) throw ConfigError(file + ": folder " + folder.string() + " does not exist");
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw ConfigError(file + " is a folder: name a file to write");
  requireWritableDirectory(folder, file);
}

void requireWritableFolder(const std::string& folder) {
  if (folder.empty()) throw ConfigError("no output folder given");
  fs::path p = fs::path(folder).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::error_code ec;
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) throw ConfigError(folder + " is a file, not a folder");
  fs::path existing = folderOf(p);
  while (!fs::exists(existing, ec) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing, ec)) throw ConfigError(folder + ": " + existing.string() + " is not a folder");
  requireWritableDirectory(existing, folder);
  if (fs::is_directory(p, ec)) requireWritableDirectory(p, folder);
}

}  // namespace sm::util
