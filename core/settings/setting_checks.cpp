#include "core/settings/setting_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/settings/settings_table.h"
#include "core/util/error.h"

namespace sm::settings {
namespace {

// "a, b or c"
std::string listChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i)
    out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return out;
}

// The multiples of `step` on either side of `value` that are in range, as advice.
std::string nearestMultiples(const Setting& s, double value) {
  const long below = static_cast<long>(std::floor(value / s.multipleOf)) * s.multipleOf;
  std::string out;
  for (long v : {below, below + s.multipleOf})
    if (v >= s.min && v <= s.max) out += (out.empty() ? "" : " or ") + std::to_string(v);
  return out.empty() ? "" : "; try " + out;
}

}  // namespace

std::string formatNumber(double value) {
  // Whole numbers in full ("4096", not "4.1e+03"); others as short as reads back exactly.
  if (std::abs(value) < 1e15 && value == std::floor(value)) return std::to_string(static_cast<long long>(value));
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

std::string rangeText(const Setting& s) {
  const std::string range = "from " + formatNumber(s.min) + " to " + formatNumber(s.max);
  switch (s.type) {
    case SettingType::Integer:
      return s.multipleOf > 1 ? "a multiple of " + std::to_string(s.multipleOf) + " " + range : "an integer " + range;
    case SettingType::Real: return "a number " + range;
    case SettingType::Seed: return "a whole number from 0 to 18446744073709551615";
    case SettingType::Choice: return listChoices(s.choices);
    default: return "";
  }
}

bool accepts(const Setting& s, double value) {
  if (!std::isfinite(value) || value < s.min || value > s.max) return false;
  if (s.type != SettingType::Integer) return true;
  return value == std::floor(value) && static_cast<long>(value) % s.multipleOf == 0;
}

bool accepts(const Setting& s, const std::string& value) {
  for (const auto& choice : s.choices)
    if (choice == value) return true;
  return false;
}

void requireInRange(Command command, std::string_view key, double value) {
  const Setting& s = setting(command, key);
  if (accepts(s, value)) return;
  const std::string got = std::isfinite(value) ? formatNumber(value) : "not a finite number";
  throw ConfigError(s.name() + " must be " + rangeText(s) + ", got " + got +
                    (s.multipleOf > 1 && std::isfinite(value) ? nearestMultiples(s, value) : ""));
}

void requireChoice(Command command, std::string_view key, const std::string& value) {
  const Setting& s = setting(command, key);
  if (!accepts(s, value)) throw ConfigError(s.name() + " must be " + rangeText(s) + ", not '" + value + "'");
}

}  // namespace sm::settings
