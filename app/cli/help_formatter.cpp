#include "app/cli/help_formatter.h"

#include <memory>
#include <sstream>
#include <vector>

#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"

namespace sm::cli {
namespace {

using settings::Setting;
using settings::SettingType;

constexpr size_t kOptionColumn = 30;  // where the help text starts
constexpr size_t kLineWidth = 104;

// "--frames N (16)", "--scheduler ddim|euler|euler-a|dpmpp-2m (ddim)", "--loop"
std::string optionText(const Setting& s) {
  std::string text = "--" + s.key;
  if (s.type == SettingType::Choice) {
    std::string choices;
    for (const auto& c : s.choices) choices += (choices.empty() ? "" : "|") + c;
    text += " " + choices;
  } else if (s.type != SettingType::Flag) {
    text += " " + s.valueName;
  }
  if (!s.defaultText.empty()) text += " (" + s.defaultText + ")";
  return text;
}

// Which of `commands` take the setting, when not all of them do: "spatial-adapters: ".
std::string onlyFor(const Setting& s, settings::CommandSet commands) {
  if ((s.commands & commands) == commands) return "";
  std::string names;
  for (auto c : {settings::Command::DatasetFrozen, settings::Command::DatasetPrior,
                 settings::Command::TrainMotionAdapter, settings::Command::TrainSpatialAdapters})
    if (s.commands & commands & settings::bit(c)) {
      const std::string name = settings::commandName(c);
      names += (names.empty() ? "" : ", ") + name.substr(name.find(' ') + 1);
    }
  return names + ": ";
}

// Words of `text` wrapped to lines of at most `width` characters.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines(1);
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!lines.back().empty() && lines.back().size() + 1 + word.size() > width) lines.emplace_back();
    lines.back() += (lines.back().empty() ? "" : " ") + word;
  }
  return lines;
}

void appendOption(std::string& out, const Setting& s, settings::CommandSet commands) {
  std::string help = onlyFor(s, commands) + s.help;
  if (s.numeric()) help += "; " + settings::rangeText(s);
  std::string left = "  " + optionText(s);
  if (left.size() + 2 > kOptionColumn) {
    out += left + "\n";
    left.clear();
  }
  for (const std::string& line : wrap(help, kLineWidth - kOptionColumn)) {
    left.resize(kOptionColumn, ' ');
    out += left + line + "\n";
    left.clear();
  }
}

}  // namespace

std::string settingsHelp(settings::CommandSet commands) {
  std::vector<std::string> groups;
  for (const Setting& s : settings::allSettings())
    if ((s.commands & commands) && std::find(groups.begin(), groups.end(), s.group) == groups.end())
      groups.push_back(s.group);
  std::string out;
  for (const std::string& group : groups) {
    out += "\n" + group + ":\n";
    for (const Setting& s : settings::allSettings())
      if ((s.commands & commands) && s.group == group) appendOption(out, s, commands);
  }
  return out;
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  return app->get_description() + settingsHelp(commands_) + app->get_footer();
}

void setHelp(CLI::App& app, const std::string& usage, settings::CommandSet commands, const std::string& footer) {
  app.description(usage);
  app.footer(footer);
  app.formatter(std::make_shared<HelpFormatter>(commands));
}

}  // namespace sm::cli
