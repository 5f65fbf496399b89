#pragma once
// Option parsing the commands share: required values, existing paths, LoRA
// specs, seeds. Every failure is a UsageError naming the option.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "app/cli/cli_args.h"

namespace sm::cli {

/// The option's value; UsageError when it is missing or empty.
std::string required(const Args& args, const std::string& name);
/// UsageError unless `path` exists.
void requireExists(const std::string& option, const std::string& path);
/// The value of an option naming an existing file or folder, when given.
std::optional<std::string> existingPath(const Args& args, const std::string& name);
/// "PATH[:STRENGTH]" (strength 1 by default, from -10 to 10); the file must exist.
std::pair<std::string, float> parseLoRA(const std::string& spec);
/// --seed as a 64-bit unsigned integer, or `fallback` when absent.
uint64_t parseSeed(const Args& args, uint64_t fallback);

}  // namespace sm::cli
