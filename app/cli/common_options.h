#pragma once
// Checks the commands share: existing paths and LoRA specs. Every failure is
// a UsageError naming the option.
#include <optional>
#include <string>
#include <utility>

#include "app/cli/setting_options.h"
#include "app/cli/usage_error.h"

namespace sm::cli {

/// UsageError unless `path` exists.
void requireExists(const std::string& option, const std::string& path);
/// The value of an option naming an existing file or folder, when given.
std::optional<std::string> existingPath(const SettingOptions& options, const std::string& key);
/// "PATH[:STRENGTH]" (strength 1 by default, from -10 to 10); the file must exist.
std::pair<std::string, float> parseLoRA(const std::string& spec);
/// UsageError "unexpected argument" / "unknown option" for anything `app` did not take.
void refuseExtras(const CLI::App& app);

}  // namespace sm::cli
