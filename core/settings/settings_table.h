#pragma once
// The table of every user setting: its key, type, default, range, unit, help
// and the commands that take it. The one place a default or a range is
// written; the CLI, the Studio and core's validate() all read it.
#include <string_view>
#include <vector>

#include "core/settings/setting.h"

namespace sm::settings {

/// The largest frame count anywhere (generation, datasets, training): long
/// videos are denoised in windows, so the motion module does not bound it.
inline constexpr int kMaxFrames = 4096;
/// The largest width or height, in pixels; sizes are multiples of 8 from 8 up.
inline constexpr int kMaxSize = 4096;

/// Every setting, in --help order. A key may have a row per command family
/// when its default or range differs (steps: 25 to sample, 1000 to train).
const std::vector<Setting>& allSettings();

/// The settings of `command`, in --help order.
std::vector<const Setting*> settingsOf(Command command);

/// The setting `key` of `command`, or nullptr.
const Setting* findSetting(Command command, std::string_view key);

/// The setting `key` of `command`; throws std::logic_error when there is none
/// (a key misspelt in the code, which a test catches).
const Setting& setting(Command command, std::string_view key);

}  // namespace sm::settings
