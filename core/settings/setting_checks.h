#pragma once
// Range checks from the settings table, with the messages the CLI and core
// print: they name the setting and its range.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/settings/setting.h"

namespace sm::settings {

/// "an integer from 1 to 4096", "a multiple of 8 from 8 to 4096", "a number
/// from 0 to 100", "auto, cpu or cuda", "a whole number from 0 to 18446744073709551615".
std::string rangeText(const Setting& setting);

/// Whether a numeric setting accepts `value` (range, multiple, finite).
bool accepts(const Setting& setting, double value);
/// Whether a choice setting accepts `value`.
bool accepts(const Setting& setting, const std::string& value);

/// Throws ConfigError "<name> must be <range>, got <value>" (with the nearest
/// multiples for sizes) unless the setting `key` of `command` accepts `value`.
void requireInRange(Command command, std::string_view key, double value);
/// Throws ConfigError "<name> must be <choices>, not '<value>'" unless `value` is a choice.
void requireChoice(Command command, std::string_view key, const std::string& value);

/// "7.5", "0.0001", "1e-09": the shortest text that reads back as `value`.
std::string formatNumber(double value);

}  // namespace sm::settings
