#include "app/cli/common_options.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::cli {

void requireExists(const std::string& option, const std::string& path) {
  // A missing input is not a mistake in the command's form: exit status 3, like a broken file.
  if (!fs::exists(path)) throw InputError("--" + option + " " + path + ": no such file or folder");
}

std::optional<std::string> existingPath(const SettingOptions& options, const std::string& key) {
  auto v = options.value(key);
  if (v) requireExists(key, *v);
  return v;
}

std::pair<std::string, float> parseLoRA(const std::string& spec) {
  // PATH[:STRENGTH]; a path may itself hold ':' so only a numeric tail counts.
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos && colon + 1 < spec.size()) {
    const std::string tail = spec.substr(colon + 1);
    char* end = nullptr;
    const float strength = std::strtof(tail.c_str(), &end);
    if (end && *end == '\0') {
      if (!std::isfinite(strength) || strength < -10 || strength > 10)
        throw UsageError("--lora " + spec + ": strength must be from -10 to 10");
      requireExists("lora", spec.substr(0, colon));
      return {spec.substr(0, colon), strength};
    }
  }
  requireExists("lora", spec);
  return {spec, 1.0f};
}

void refuseExtras(const CLI::App& app) {
  const std::vector<std::string> rest = app.remaining();
  if (rest.empty()) return;
  const std::string& first = rest.front();
  if (first.size() > 1 && first[0] == '-')
    throw UsageError("unknown option '" + first.substr(0, first.find('=')) + "'");
  throw UsageError("unexpected argument '" + first + "'");
}

}  // namespace sm::cli
