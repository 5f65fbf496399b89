#pragma once
// Studio widgets bound to the settings table (core/settings): range, step,
// default, decimals, suffix and tooltip come from the one place the CLI and
// core's validation read too. A widget without an objectName gets the setting's key.
#include <string_view>

#include "core/settings/setting.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSlider;
class QSpinBox;

namespace sm::ui {

void bindSetting(QSpinBox* box, settings::Command command, std::string_view key);
void bindSetting(QDoubleSpinBox* box, settings::Command command, std::string_view key);
/// The choices as items (their text is the CLI's word), the default selected.
void bindSetting(QComboBox* box, settings::Command command, std::string_view key);
void bindSetting(QCheckBox* box, settings::Command command, std::string_view key);
/// A slider in steps of 1 / `resolution` (motion scale: hundredths).
void bindSetting(QSlider* slider, settings::Command command, std::string_view key, int resolution);

}  // namespace sm::ui
