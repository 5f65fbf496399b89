#include "core/util/staged_folder.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc 2.28)
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/util/atomic_file.h"

namespace fs = std::filesystem;

namespace sm::util {
namespace {

// "out/" and "out/." name the folder "out": its name is what the siblings are named after.
std::string normalFolder(const std::string& folder) {
  fs::path p = fs::path(folder).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.string();
}

std::string lockPathOf(const std::string& folder) {
  const fs::path p(folder);
  std::string name = ".";
  name += p.filename().string();
  name += ".lock";
  return (p.parent_path() / name).string();
}

// The lock file is removed when its holder is done. A second build may have
// opened the file just before that and locked the removed file, so a lock
// only counts when the locked file is still the one at the path.
int lockFolder(const std::string& folder) {
  const std::string path = lockPathOf(folder);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT) throw FileWriteError(folder, err, "cannot build it: its parent folder does not exist");
      throw FileWriteError(folder, err, "cannot build it here: its parent folder is not writable");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw FolderBusyError(folder + ": another build of this folder is running (its lock is " + path +
                              "): wait for it to finish or cancel it, or choose another folder");
      throw FileWriteError(folder, err, "cannot lock it for the build");
    }
    struct stat locked {
    }, current{};
    if (::fstat(fd, &locked) == 0 && ::stat(path.c_str(), &current) == 0 && locked.st_ino == current.st_ino &&
        locked.st_dev == current.st_dev)
      return fd;
    ::close(fd);  // the holder removed it meanwhile: lock the new one
  }
  throw FileWriteError(folder, 0, "cannot lock it for the build (its lock file keeps changing)");
}

void syncFolderOf(const std::string& path) {
  const int fd = ::open(fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);  // durability of the rename only: the swap itself is done
  ::close(fd);
}

}  // namespace

StagedFolder::StagedFolder(std::string folder) : folder_(normalFolder(folder)) {
  if (folder_.empty() || folder_ == "." || folder_ == "/") throw FileWriteError(folder, 0, "not a folder to build");
  lockFd_ = lockFolder(folder_);
  try {
    removeStaleTempFiles(folder_);  // builds of this folder that were killed
    staging_ = tempPathFor(folder_);
    if (::mkdir(staging_.c_str(), 0777) != 0)
      throw FileWriteError(folder_, errno, "cannot create the staging folder " + staging_);
  } catch (...) {
    discard();
    throw;
  }
}

StagedFolder::~StagedFolder() { discard(); }

void StagedFolder::commit() {
  if (committed_ || lockFd_ < 0) throw FileWriteError(folder_, 0, "commit of a build that is already over");
  struct stat st {};
  if (::lstat(folder_.c_str(), &st) != 0) {
    if (::rename(staging_.c_str(), folder_.c_str()) != 0)
      throw FileWriteError(folder_, errno, "cannot move the finished build into place");
  } else {
    if (!S_ISDIR(st.st_mode)) throw FileWriteError(folder_, 0, "is not a folder: it cannot be replaced by the build");
    // One step: readers see the old folder or the new one, never a mix or nothing.
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, folder_.c_str(), RENAME_EXCHANGE) != 0) {
      const int err = errno;
      if (err != EINVAL && err != ENOSYS) throw FileWriteError(folder_, err, "cannot swap in the finished build");
      // A file system without exchange: the old folder goes aside for the moment of the swap.
      const std::string aside = tempPathFor(folder_);
      if (::rename(folder_.c_str(), aside.c_str()) != 0)
        throw FileWriteError(folder_, errno, "cannot move the old folder aside");
      if (::rename(staging_.c_str(), folder_.c_str()) != 0) {
        const int renameErr = errno;
        (void)::rename(aside.c_str(), folder_.c_str());
        throw FileWriteError(folder_, renameErr, "cannot move the finished build into place");
      }
      staging_ = aside;
    }
  }
  committed_ = true;
  syncFolderOf(folder_);
  std::error_code ignored;
  fs::remove_all(staging_, ignored);  // the old content (or nothing, after a plain rename)
  discard();
}

void StagedFolder::discard() noexcept {
  std::error_code ignored;
  if (!committed_ && !staging_.empty()) fs::remove_all(staging_, ignored);
  staging_.clear();
  if (lockFd_ >= 0) {
    ::unlink(lockPathOf(folder_).c_str());  // while still held: see lockFolder
    ::close(lockFd_);
    lockFd_ = -1;
  }
}

}  // namespace sm::util
