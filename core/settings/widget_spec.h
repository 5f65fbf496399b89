#pragma once
// What a Studio widget for a setting needs: range, step, default, decimals,
// tooltip, choices. Built from the settings table so that the Studio's ranges
// are the CLI's and core's. No Qt here: the Studio turns it into a spin box,
// a check box or a combo box.
#include <string>
#include <string_view>
#include <vector>

#include "core/settings/setting.h"

namespace sm::settings {

struct WidgetSpec {
  SettingType type = SettingType::Text;
  std::string label;  ///< the setting's name ("guidance (cfg)")
  double min = 0;
  double max = 0;
  double step = 1;  ///< a spin box's arrows; sizes step by 8
  double defaultValue = 0;
  int decimals = 0;                  ///< digits after the point (reals)
  std::string tooltip;               ///< the --help text, with the range and the default
  std::vector<std::string> choices;  ///< choice settings, default first
  std::string unit;                  ///< a spin box suffix ("pixels"); may be empty
};

/// The widget of setting `key` of `command`; throws std::logic_error for an unknown key.
WidgetSpec widgetSpec(Command command, std::string_view key);

}  // namespace sm::settings
