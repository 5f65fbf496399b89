#pragma once
// Replacing a file so that a crash, a full disk or an exception never leaves a
// half-written model behind: the content goes to a temporary file in the same
// folder, which is synced and then renamed over the target in one step.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.h"

namespace sm::util {

/// Writing (or replacing) a file failed. The old file, if any, is unchanged
/// unless the message says otherwise.
class FileWriteError : public Error {
 public:
  /// `errorNumber` is the errno value, 0 when the failure was not a system call's.
  FileWriteError(std::string path, int errorNumber, const std::string& problem);
  const std::string& path() const { return path_; }
  int errorNumber() const { return errorNumber_; }

 private:
  std::string path_;
  int errorNumber_;
};

/// Streams bytes into a temporary file beside `path`; `commit()` makes them
/// the content of `path`. Destroying an uncommitted writer (e.g. while an
/// exception unwinds) removes the temporary file and leaves `path` untouched.
class AtomicFileWriter {
 public:
  /// Creates the temporary file; throws FileWriteError when the folder is
  /// missing or not writable.
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  /// Appends bytes (buffered). Throws FileWriteError, e.g. when the disk is full.
  void write(const void* data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  /// Flushes, syncs and renames over the target, then syncs the folder so the
  /// rename itself survives a power cut. The writer is spent afterwards.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& tempPath() const { return tempPath_; }
  /// Bytes written so far.
  size_t bytesWritten() const { return bytesWritten_; }

 private:
  void flushBuffer();
  void writeToFile(const char* data, size_t size);
  void discard() noexcept;

  std::string path_;
  std::string tempPath_;
  int fd_ = -1;
  bool committed_ = false;
  size_t bytesWritten_ = 0;
  std::vector<char> buffer_;
};

/// The name prefix of every temporary file a writer of `path` creates:
/// ".<file name>.tmp-", followed by "<pid>-<counter>-<random>". The leading dot
/// hides it, and it never ends like the target, so a killed writer's leftover
/// cannot be mistaken for a model or checkpoint file.
std::string tempFilePrefix(const std::string& path);

/// A fresh temporary name for `path`: tempFilePrefix(path) + "<pid>-<counter>-<random>".
std::string tempPathFor(const std::string& path);

/// Removes the temporary files (or folders, util::StagedFolder) that writers of
/// `path` left behind when they were killed: those whose process no longer exists on this machine. Files of
/// live writers (this process's included) are kept. Best effort, never throws;
/// returns how many files were removed. A writer on another machine sharing the
/// folder looks dead here: its commit then fails with FileWriteError and the
/// target keeps its old content.
size_t removeStaleTempFiles(const std::string& path);

/// Replaces `path` with whatever `produce` writes; nothing changes if it throws.
void writeFileAtomically(const std::string& path, const std::function<void(AtomicFileWriter&)>& produce);
/// Replaces `path` with `bytes`.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace sm::util
