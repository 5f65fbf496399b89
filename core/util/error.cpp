#include "core/util/error.h"

namespace sm {
namespace {
std::string checkpointMessage(const std::string& path, const std::string& key, const std::string& problem) {
  std::string message = path + ": ";
  if (!key.empty()) message += "'" + key + "': ";
  return message + problem;
}
}  // namespace

CheckpointError::CheckpointError(std::string path, std::string key, const std::string& problem)
    : Error(checkpointMessage(path, key, problem)), path_(std::move(path)), key_(std::move(key)), problem_(problem) {}

ShapeError::ShapeError(std::string key, std::vector<int64_t> expected, std::vector<int64_t> got)
    : Error("'" + key + "': expected shape " + shapeToString(expected) + ", got " + shapeToString(got)),
      key_(std::move(key)),
      expected_(std::move(expected)),
      got_(std::move(got)) {}

VideoIOError::VideoIOError(std::string path, int avError, const std::string& problem)
    : Error(path + ": " + problem), path_(std::move(path)), avError_(avError) {}

std::string shapeToString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

}  // namespace sm
