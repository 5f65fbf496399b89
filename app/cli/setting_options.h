#pragma once
// The options of one command, made from the settings table: CLI11 collects
// the text, and the getters convert it with the table's ranges and defaults.
// Every mistake is a UsageError naming the option ("--frames must be an
// integer from 1 to 4096, not '0'").
#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/settings/setting.h"

namespace sm::cli {

class SettingOptions {
 public:
  /// Adds to `app` an option for every setting of `command`. The settings of
  /// the commands in `hidden` that `command` lacks are accepted but not shown,
  /// so that the command can say where they belong.
  SettingOptions(CLI::App& app, settings::Command command, settings::CommandSet hidden = 0);
  SettingOptions(const SettingOptions&) = delete;  // CLI11 holds pointers into the maps
  SettingOptions& operator=(const SettingOptions&) = delete;

  settings::Command command() const { return command_; }
  /// Whether the option was on the command line (a flag: set).
  bool given(const std::string& key) const;
  bool flag(const std::string& key) const;
  /// The last value given, if any.
  std::optional<std::string> value(const std::string& key) const;
  /// Every value given, in order (repeatable options).
  std::vector<std::string> values(const std::string& key) const;
  /// The value; UsageError "--KEY is required" when absent or empty.
  std::string required(const std::string& key) const;
  /// Numeric settings: the value given or the table's default.
  int integer(const std::string& key) const;
  double real(const std::string& key) const;
  /// Choice settings: the value given or the default (the first choice).
  std::string choice(const std::string& key) const;
  /// Seed settings: the value given or `fallback`.
  uint64_t seed(const std::string& key, uint64_t fallback) const;

  /// `text` as a value of the numeric setting `key`: a UsageError when it is not
  /// a number in the table's range (for options given several times, one by one).
  double numberOf(const std::string& key, const std::string& text) const;
  /// Whether `text` is one of the choices of `key`; a UsageError when not.
  void requireChoiceOf(const std::string& key, const std::string& text) const;

  /// Converts every value given, in the table's order: a UsageError names the
  /// first one out of range, before anything else is looked at.
  void check() const;

 private:
  const settings::Setting& setting(const std::string& key) const;
  double number(const settings::Setting& setting, const std::string& text) const;

  settings::Command command_;
  std::vector<const settings::Setting*> rows_;  // shown ones first, in the table's order
  std::map<std::string, const settings::Setting*> settings_;
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> flags_;
};

}  // namespace sm::cli
