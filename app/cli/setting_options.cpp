#include "app/cli/setting_options.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "app/cli/usage_error.h"
#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"
#include "core/text/clip_text_normalize.h"

namespace sm::cli {

using settings::Setting;
using settings::SettingType;

SettingOptions::SettingOptions(CLI::App& app, settings::Command command, settings::CommandSet hidden)
    : command_(command) {
  rows_ = settings::settingsOf(command);
  for (const Setting& s : settings::allSettings()) {
    const bool known = std::any_of(rows_.begin(), rows_.end(), [&](const Setting* r) { return r->key == s.key; });
    if ((s.commands & hidden) && !known) rows_.push_back(&s);
  }
  for (const Setting* s : rows_) {
    settings_[s->key] = s;
    // The help is HelpFormatter's, from the table; an empty group hides the option.
    const std::string group = (s->commands & settings::bit(command)) ? s->group : "";
    if (s->type == SettingType::Flag) {
      app.add_flag("--" + s->key, flags_[s->key])->group(group);
    } else {
      // One value per occurrence, even one starting with '-' ("--seed -3" is refused by check()).
      app.add_option("--" + s->key, values_[s->key])
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->group(group);
    }
  }
}

const Setting& SettingOptions::setting(const std::string& key) const {
  auto it = settings_.find(key);
  if (it == settings_.end()) throw std::logic_error("no option --" + key + " for " + settings::commandName(command_));
  return *it->second;
}

bool SettingOptions::given(const std::string& key) const {
  return setting(key).type == SettingType::Flag ? flag(key) : !values_.at(key).empty();
}

bool SettingOptions::flag(const std::string& key) const {
  setting(key);
  return flags_.at(key);
}

std::optional<std::string> SettingOptions::value(const std::string& key) const {
  setting(key);
  const auto& v = values_.at(key);
  if (v.empty()) return std::nullopt;
  return v.back();
}

std::vector<std::string> SettingOptions::values(const std::string& key) const {
  setting(key);
  return values_.at(key);
}

std::string SettingOptions::required(const std::string& key) const {
  const auto v = value(key);
  if (!v || v->empty()) throw UsageError("--" + key + " is required");
  return *v;
}

double SettingOptions::number(const Setting& s, const std::string& text) const {
  double parsed = 0;
  bool ok = false;
  if (s.type == SettingType::Integer) {
    long long whole = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
    ok = ec == std::errc() && end == text.data() + text.size();
    parsed = static_cast<double>(whole);
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    ok = ec == std::errc() && end == text.data() + text.size();
  }
  if (!ok || !settings::accepts(s, parsed))
    throw UsageError("--" + s.key + " must be " + settings::rangeText(s) + ", not '" + text + "'");
  return parsed;
}

int SettingOptions::integer(const std::string& key) const {
  const Setting& s = setting(key);
  const auto v = value(key);
  return static_cast<int>(v ? number(s, *v) : s.defaultValue);
}

double SettingOptions::real(const std::string& key) const {
  const Setting& s = setting(key);
  const auto v = value(key);
  return v ? number(s, *v) : s.defaultValue;
}

std::string SettingOptions::choice(const std::string& key) const {
  const Setting& s = setting(key);
  const auto v = value(key);
  if (!v) return s.choices.front();
  if (!settings::accepts(s, *v))
    throw UsageError("--" + key + " must be " + settings::rangeText(s) + ", not '" + *v + "'");
  return *v;
}

uint64_t SettingOptions::seed(const std::string& key, uint64_t fallback) const {
  const Setting& s = setting(key);
  const auto v = value(key);
  if (!v) return fallback;
  uint64_t parsed = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
  if (ec != std::errc() || end != v->data() + v->size())
    throw UsageError("--" + key + " must be " + settings::rangeText(s) + ", not '" + *v + "'");
  return parsed;
}

double SettingOptions::numberOf(const std::string& key, const std::string& text) const {
  return number(setting(key), text);
}

void SettingOptions::requireChoiceOf(const std::string& key, const std::string& text) const {
  const Setting& s = setting(key);
  if (!settings::accepts(s, text))
    throw UsageError("--" + key + " must be " + settings::rangeText(s) + ", not '" + text + "'");
}

void SettingOptions::check() const {
  for (const Setting* s : rows_) {
    const std::string& key = s->key;
    if (!given(key)) continue;
    switch (s->type) {
      case SettingType::Integer:
      case SettingType::Real:
        for (const auto& text : values_.at(key)) number(*s, text);
        break;
      case SettingType::Choice:
        for (const auto& text : values_.at(key)) requireChoiceOf(key, text);
        break;
      case SettingType::Seed: seed(key, 0); break;
      case SettingType::Text:
        // Caught here, not in a JSON writer after all the work is done.
        for (const auto& value : values_.at(key))
          if (!text::clipnorm::isValidUtf8(value))
            throw UsageError("--" + key + " is not valid UTF-8 text: write it in a UTF-8 terminal or file");
        break;
      default: break;
    }
  }
}

}  // namespace sm::cli
