#include "core/settings/widget_spec.h"

#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"

namespace sm::settings {

WidgetSpec widgetSpec(Command command, std::string_view key) {
  const Setting& s = setting(command, key);
  WidgetSpec spec;
  spec.type = s.type;
  spec.label = s.name();
  spec.min = s.min;
  spec.max = s.max;
  spec.step = s.step;
  spec.defaultValue = s.defaultValue;
  spec.decimals = s.type == SettingType::Real ? s.decimals : 0;
  spec.choices = s.choices;
  spec.unit = s.unit;
  spec.tooltip = s.help;
  const std::string range = rangeText(s);
  if (s.numeric() && !range.empty()) spec.tooltip += " (" + range + ")";
  if (!s.defaultText.empty()) spec.tooltip += "; default " + s.defaultText;
  return spec;
}

}  // namespace sm::settings
