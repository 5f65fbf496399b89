#pragma once
// Typed reads from a diffusers/transformers config.json with errors that name
// the file and the field. Absent fields keep the caller's default. In core/io
// because the opener reads model_index.json and each component's config.json
// (class name, MotionAdapter fields) before any model code runs.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace sm::io {

/// `json` as text (indent -1: one line). Strings that are not UTF-8 (a path
/// on Linux may be any bytes) get U+FFFD instead of a throw after the work is done.
std::string dumpJson(const nlohmann::json& json, int indent = -1);

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
  /// Runs config.validate(): a value out of range is the file's problem, so its
  /// ConfigError becomes a CheckpointError naming the file.
  template <class Config>
  void validate(const Config& config) const {
    try {
      config.validate();
    } catch (const ConfigError& e) {
      throw CheckpointError(path_, e.what());
    }
  }

 private:
  [[noreturn]] void fail(const char* field, const char* wanted) const;
  const nlohmann::json& json_;
  std::string path_;
};

}  // namespace sm::io
