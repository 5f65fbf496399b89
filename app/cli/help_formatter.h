#pragma once
// --help from the settings table: each command's usage text, then its
// settings grouped as the table groups them ("models:", "video:", ...), each
// with its value, default, help and range.
#include <CLI/CLI.hpp>
#include <string>

#include "core/settings/setting.h"

namespace sm::cli {

/// The grouped option lines of the settings of `commands`. With several
/// commands, a setting that only some take says which ("spatial-adapters: ...").
std::string settingsHelp(settings::CommandSet commands);

/// Prints an app's description (its usage and introduction), the settings of
/// `commands`, then its footer.
class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(settings::CommandSet commands) : commands_(commands) {}
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;

 private:
  settings::CommandSet commands_;
};

/// Sets `app`'s --help text: `usage` (usage lines and introduction), then the settings of `commands`.
void setHelp(CLI::App& app, const std::string& usage, settings::CommandSet commands, const std::string& footer = "");

}  // namespace sm::cli
