#include "core/io/json_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace sm::io {

std::string dumpJson(const nlohmann::json& json, int indent) {
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json readJsonFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::exists(path, error) && !std::filesystem::is_regular_file(path, error))
    throw CheckpointError(path, "is not a regular file (a folder, pipe or device)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path, "cannot open the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw CheckpointError(path, "is not valid JSON");
  if (!json.is_object()) throw CheckpointError(path, "is JSON but not an object");
  return json;
}

void ConfigReader::fail(const char* field, const char* wanted) const {
  throw CheckpointError(path_, std::string("field '") + field + "' must be " + wanted);
}

void ConfigReader::read(const char* field, int& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_number_integer()) fail(field, "an integer");
  value = v.get<int>();
}

void ConfigReader::read(const char* field, double& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_number()) fail(field, "a number");
  value = v.get<double>();
}

void ConfigReader::read(const char* field, bool& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_boolean()) fail(field, "true or false");
  value = v.get<bool>();
}

void ConfigReader::read(const char* field, std::string& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_string()) fail(field, "a string");
  value = v.get<std::string>();
}

void ConfigReader::read(const char* field, std::vector<int>& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_array()) fail(field, "a list of integers");
  std::vector<int> out;
  for (const auto& e : v) {
    if (!e.is_number_integer()) fail(field, "a list of integers");
    out.push_back(e.get<int>());
  }
  value = std::move(out);
}

void ConfigReader::read(const char* field, std::vector<std::string>& value) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (!v.is_array()) fail(field, "a list of strings");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) fail(field, "a list of strings");
    out.push_back(e.get<std::string>());
  }
  value = std::move(out);
}

void ConfigReader::readIntOrList(const char* field, std::vector<int>& value, size_t listLength) const {
  if (!has(field)) return;
  const auto& v = json_[field];
  if (v.is_number_integer()) {
    value.assign(listLength, v.get<int>());
    return;
  }
  read(field, value);
}

}  // namespace sm::io
