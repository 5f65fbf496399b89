#pragma once
// Error types thrown by core. Each carries its context as fields so that the
// CLI and the Studio can say what went wrong and what to do about it.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sm {

/// Base of every error core throws on bad input or failed I/O.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A model file (or folder) is unreadable, foreign, corrupt or incomplete.
/// `path` names the file; `key` the tensor or entry concerned, when there is one.
class CheckpointError : public Error {
 public:
  CheckpointError(std::string path, std::string key, const std::string& problem);
  CheckpointError(std::string path, const std::string& problem) : CheckpointError(std::move(path), "", problem) {}
  const std::string& path() const { return path_; }
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string key_;
  std::string problem_;
};

/// A tensor has another shape than the model expects.
class ShapeError : public Error {
 public:
  ShapeError(std::string key, std::vector<int64_t> expected, std::vector<int64_t> got);
  const std::string& key() const { return key_; }
  const std::vector<int64_t>& expected() const { return expected_; }
  const std::vector<int64_t>& got() const { return got_; }

 private:
  std::string key_;
  std::vector<int64_t> expected_;
  std::vector<int64_t> got_;
};

/// A video could not be read or written; `avError` is FFmpeg's code (0 if none).
class VideoIOError : public Error {
 public:
  VideoIOError(std::string path, int avError, const std::string& problem);
  const std::string& path() const { return path_; }
  int avError() const { return avError_; }

 private:
  std::string path_;
  int avError_;
};

/// An input the user named (a file or folder of images, videos, a dataset) is
/// missing or unusable. Model files have CheckpointError.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A configuration value or request parameter is invalid.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A device ran out of memory; the message says what was being done and what to change.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

/// Thrown when a job is cancelled; deliberately not an Error.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

/// "[1, 2, 3]"
std::string shapeToString(const std::vector<int64_t>& shape);

}  // namespace sm
