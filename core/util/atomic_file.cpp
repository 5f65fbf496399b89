#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

namespace sm::util {
namespace {

// Large enough that small writes (headers, biases) cost few system calls.
constexpr size_t kBufferBytes = size_t{1} << 20;
constexpr int kNameAttempts = 100;

std::string writeMessage(const std::string& path, int errorNumber, const std::string& problem) {
  std::string message = path + ": " + problem;
  if (errorNumber != 0) message += " (" + std::string(std::strerror(errorNumber)) + ")";
  return message;
}

std::string folderOf(const std::string& path) {
  std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

// "<digits>" at `pos`, advancing past them; nullopt when there are none.
std::optional<unsigned long long> digitsAt(const std::string& s, size_t& pos) {
  const size_t start = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  if (pos == start || pos - start > 18) return std::nullopt;
  return std::stoull(s.substr(start, pos - start));
}

// The writer's pid when `name` is exactly "<prefix><pid>-<counter>-<random>".
std::optional<pid_t> writerPid(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  size_t pos = prefix.size();
  const auto pid = digitsAt(name, pos);
  for (int part = 0; part < 2; ++part) {
    if (pos >= name.size() || name[pos] != '-') return std::nullopt;
    ++pos;
    if (!digitsAt(name, pos)) return std::nullopt;
  }
  if (!pid || pos != name.size() || *pid == 0 || *pid > 0x7fffffffULL) return std::nullopt;
  return static_cast<pid_t>(*pid);
}

// A replaced file keeps its permissions; a new one gets the umask's default.
void copyModeOfExistingTarget(const std::string& path, int fd) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
    (void)::fchmod(fd, st.st_mode & 07777);  // best effort: the content matters more than the mode
}

void syncFolder(const std::string& path) {
  int dirFd = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) return;  // the rename already happened; only its durability is uncertain
  int rc = ::fsync(dirFd);
  int err = errno;
  ::close(dirFd);
  // Some file systems cannot sync folders (EINVAL); the rename is done either way.
  if (rc != 0 && err != EINVAL) throw FileWriteError(path, err, "the file was replaced, but syncing its folder failed");
}

}  // namespace

std::string tempFilePrefix(const std::string& path) {
  const std::filesystem::path target(path);
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "." + name + ".tmp-".
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp-";
  return (target.parent_path() / name).string();
}

// Unique per process and call, and random across processes, so that two
// writers of the same target (or a leftover from a crash) never share a file.
std::string tempPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return tempFilePrefix(path) + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(random() % 1000000);
}

size_t removeStaleTempFiles(const std::string& path) {
  const std::string prefix = std::filesystem::path(tempFilePrefix(path)).filename().string();
  size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folderOf(path), ec), end; !ec && it != end; it.increment(ec)) {
    const auto pid = writerPid(it->path().filename().string(), prefix);
    if (!pid || *pid == ::getpid()) continue;  // another thread of ours may be writing it
    // kill(pid, 0) probes without signalling: ESRCH means no such process. EPERM is a live process.
    if (::kill(*pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    if (std::filesystem::remove_all(it->path(), ignored) > 0) ++removed;
  }
  return removed;
}

FileWriteError::FileWriteError(std::string path, int errorNumber, const std::string& problem)
    : Error(writeMessage(path, errorNumber, problem)), path_(std::move(path)), errorNumber_(errorNumber) {}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw FileWriteError(path_, 0, "no file name given");
  for (int attempt = 0; attempt < kNameAttempts && fd_ < 0; ++attempt) {
    tempPath_ = tempPathFor(path_);
    fd_ = ::open(tempPath_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    int err = errno;
    tempPath_.clear();
    if (err == ENOENT)
      throw FileWriteError(path_, err, "cannot write: the folder '" + folderOf(path_) + "' does not exist");
    throw FileWriteError(path_, err, "cannot create a temporary file in '" + folderOf(path_) + "'");
  }
  copyModeOfExistingTarget(path_, fd_);
  buffer_.reserve(kBufferBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) discard();
}

void AtomicFileWriter::write(const void* data, size_t size) {
  if (committed_ || fd_ < 0) throw FileWriteError(path_, 0, "write after the file was committed or abandoned");
  const char* bytes = static_cast<const char*>(data);
  if (size >= kBufferBytes) {
    // Big blocks (tensor data) go straight to the file instead of through the buffer.
    flushBuffer();
    writeToFile(bytes, size);
  } else {
    if (buffer_.size() + size > kBufferBytes) flushBuffer();
    buffer_.insert(buffer_.end(), bytes, bytes + size);
  }
  bytesWritten_ += size;
}

void AtomicFileWriter::commit() {
  if (committed_ || fd_ < 0) throw FileWriteError(path_, 0, "commit after the file was committed or abandoned");
  flushBuffer();
  if (::fsync(fd_) != 0) throw FileWriteError(path_, errno, "cannot sync the temporary file to disk");
  int fd = fd_;
  fd_ = -1;
  // close() can report a deferred write error (e.g. on NFS), so it is checked.
  if (::close(fd) != 0) throw FileWriteError(path_, errno, "cannot close the temporary file");
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0)
    throw FileWriteError(path_, errno, "cannot replace the file with the new content");
  committed_ = true;
  syncFolder(path_);
}

void AtomicFileWriter::flushBuffer() {
  if (buffer_.empty()) return;
  writeToFile(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void AtomicFileWriter::writeToFile(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FileWriteError(path_, errno, "cannot write the new content");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tempPath_.empty()) ::unlink(tempPath_.c_str());
}

void writeFileAtomically(const std::string& path, const std::function<void(AtomicFileWriter&)>& produce) {
  AtomicFileWriter writer(path);
  produce(writer);
  writer.commit();
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
  writeFileAtomically(path, [bytes](AtomicFileWriter& writer) { writer.write(bytes); });
}

}  // namespace sm::util
