#pragma once
// Producing a whole folder (a dataset) so that nothing of the old one is lost
// until the new one is complete: the content is built in a hidden sibling
// (".<name>.tmp-<pid>-..."), and commit() swaps it in with one rename. A
// failed or cancelled build (an exception, the destructor) removes the
// sibling and leaves the old folder as it was; a killed one leaves the
// sibling, which the next build of the same folder removes. The folder is
// locked (flock on a hidden ".<name>.lock" beside it) for the whole build, so
// two builds of one folder, in one process or two, never mix: the second is
// refused at once. The lock dies with its process: kill -9 leaves no stale lock.
#include <string>

#include "core/util/error.h"

namespace sm::util {

/// Another build holds the folder.
class FolderBusyError : public Error {
 public:
  using Error::Error;
};

class StagedFolder {
 public:
  /// Locks `folder` (throws FolderBusyError naming it when another build holds
  /// it), removes what killed builds of it left, and creates the empty staging
  /// folder. Throws FileWriteError when the parent folder is missing or not writable.
  explicit StagedFolder(std::string folder);
  ~StagedFolder();
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  /// Where the new content goes until commit().
  const std::string& staging() const { return staging_; }
  const std::string& folder() const { return folder_; }

  /// Makes the staged content the folder: atomically exchanged with the old
  /// folder when there is one (the old content is then removed), else renamed
  /// into place. Throws FileWriteError; the old folder is then unchanged.
  void commit();

 private:
  void discard() noexcept;

  std::string folder_;
  std::string staging_;
  int lockFd_ = -1;
  bool committed_ = false;
};

}  // namespace sm::util
