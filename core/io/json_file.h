#pragma once
// Typed reads from a diffusers/transformers config.json with errors that name
// the file and the field. Absent fields keep the caller's default. In core/io
// because the opener reads model_index.json and each component's config.json
// (class name, MotionAdapter fields) before any model code runs.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sm::io {

/// Reads and parses a JSON file; throws CheckpointError naming it.
nlohmann::json readJsonFile(const std::string& path);

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& json, std::string path) : json_(json), path_(std::move(path)) {}
  void read(const char* field, int& value) const;
  void read(const char* field, double& value) const;
  void read(const char* field, bool& value) const;
  void read(const char* field, std::string& value) const;
  void read(const char* field, std::vector<int>& value) const;
  void read(const char* field, std::vector<std::string>& value) const;
  /// An int or a list of ints (diffusers allows both for head counts).
  void readIntOrList(const char* field, std::vector<int>& value, size_t listLength) const;
  bool has(const char* field) const { return json_.contains(field) && !json_[field].is_null(); }

 private:
  [[noreturn]] void fail(const char* field, const char* wanted) const;
  const nlohmann::json& json_;
  std::string path_;
};

}  // namespace sm::io
