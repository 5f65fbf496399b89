#include "app/cli/common_options.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sm::cli {

std::string required(const Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v || v->empty()) throw UsageError("--" + name + " is required");
  return *v;
}

void requireExists(const std::string& option, const std::string& path) {
  if (!fs::exists(path)) throw UsageError("--" + option + " " + path + ": no such file or folder");
}

std::optional<std::string> existingPath(const Args& args, const std::string& name) {
  auto v = args.value(name);
  if (v) requireExists(name, *v);
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

uint64_t parseSeed(const Args& args, uint64_t fallback) {
  const auto seed = args.value("seed");
  if (!seed) return fallback;
  try {
    size_t used = 0;
    const uint64_t value = std::stoull(*seed, &used);
    if (used != seed->size() || seed->front() == '-') throw std::invalid_argument("");
    return value;
  } catch (const std::exception&) {
    throw UsageError("--seed must be a whole number from 0 to 18446744073709551615, not '" + *seed + "'");
  }
}

}  // namespace sm::cli
