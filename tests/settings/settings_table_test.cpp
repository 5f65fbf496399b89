// The settings table itself: one row per key and command, defaults inside
// their ranges, one frame maximum, sizes any multiple of 8 from 8, and range
// messages that name the setting.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"
#include "core/settings/widget_spec.h"
#include "core/util/duration.h"
#include "core/util/error.h"

namespace sm::settings {
namespace {

const std::vector<Command> kCommands = {
    Command::Global,       Command::Generate,           Command::DatasetFrozen,
    Command::DatasetPrior, Command::TrainMotionAdapter, Command::TrainSpatialAdapters};

std::string messageOf(Command command, const std::string& key, double value) {
  try {
    requireInRange(command, key, value);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SettingsTable, EachCommandHasEachKeyOnceWithHelpGroupAndADefaultInRange) {
  for (Command command : kCommands) {
    std::set<std::string> keys;
    for (const Setting* s : settingsOf(command)) {
      EXPECT_TRUE(keys.insert(s->key).second) << commandName(command) << " --" << s->key << " twice";
      EXPECT_FALSE(s->help.empty()) << s->key;
      EXPECT_FALSE(s->group.empty()) << s->key;
      if (s->type == SettingType::Choice) {
        ASSERT_FALSE(s->choices.empty()) << s->key;
        EXPECT_EQ(s->defaultText, s->choices.front()) << s->key;
      }
      // --threads defaults to "all cores", outside its range on purpose.
      if (s->numeric() && s->key != "threads")
        EXPECT_TRUE(accepts(*s, s->defaultValue)) << commandName(command) << " --" << s->key;
    }
  }
  EXPECT_EQ(setting(Command::Generate, "steps").defaultValue, 25);
  EXPECT_EQ(setting(Command::TrainMotionAdapter, "steps").defaultValue, 1000);
  EXPECT_EQ(findSetting(Command::TrainMotionAdapter, "prior-ratio"), nullptr);
  EXPECT_THROW(setting(Command::Generate, "no-such-setting"), std::logic_error);
}

TEST(SettingsTable, OneFrameMaximumAndSizesAnyMultipleOfEightFromEight) {
  for (Command command : kCommands) {
    if (const Setting* frames = findSetting(command, "frames")) EXPECT_EQ(frames->max, kMaxFrames);
    for (const char* key : {"width", "height"}) {
      const Setting* size = findSetting(command, key);
      if (!size) continue;
      EXPECT_EQ(size->min, 8);
      EXPECT_EQ(size->multipleOf, 8);
      for (int pixels : {8, 40, 72, kMaxSize}) EXPECT_TRUE(accepts(*size, pixels)) << key << " " << pixels;
      for (int pixels : {0, 4, 65, kMaxSize + 8}) EXPECT_FALSE(accepts(*size, pixels)) << key << " " << pixels;
    }
  }
  EXPECT_TRUE(accepts(setting(Command::Generate, "frames"), 1));
  EXPECT_FALSE(accepts(setting(Command::Generate, "frames"), 0));
}

TEST(SettingsTable, RangeErrorsNameTheSettingItsRangeAndTheValue) {
  EXPECT_EQ(messageOf(Command::Generate, "frames", 0), "frames must be an integer from 1 to 4096, got 0");
  EXPECT_EQ(messageOf(Command::Generate, "width", 65),
            "width must be a multiple of 8 from 8 to 4096, got 65; try 64 or 72");
  EXPECT_EQ(messageOf(Command::Generate, "height", 4), "height must be a multiple of 8 from 8 to 4096, got 4; try 8");
  EXPECT_EQ(messageOf(Command::Generate, "cfg", 101), "guidance (cfg) must be a number from 0 to 100, got 101");
  EXPECT_EQ(messageOf(Command::TrainMotionAdapter, "lr", 0), "learning rate must be a number from 1e-09 to 1, got 0");
  EXPECT_NE(messageOf(Command::Generate, "fps", std::nan("")).find("not a finite number"), std::string::npos);
  EXPECT_EQ(messageOf(Command::Generate, "frames", 4096), "");
  try {
    requireChoice(Command::TrainMotionAdapter, "precision", "fp8");
    FAIL() << "fp8 is no precision";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "precision must be auto, fp32 or bf16, not 'fp8'");
  }
  EXPECT_NO_THROW(requireChoice(Command::Generate, "scheduler", "dpmpp-2m"));
}

TEST(SettingsTable, FormatNumberReadsBack) {
  EXPECT_EQ(formatNumber(4096), "4096");
  EXPECT_EQ(formatNumber(7.5), "7.5");
  EXPECT_EQ(formatNumber(0.0001), "0.0001");
  EXPECT_EQ(formatNumber(-10), "-10");
  EXPECT_EQ(formatNumber(0.1), "0.1");
}

TEST(WidgetSpec, GivesTheTablesRangeStepDefaultDecimalsTooltipAndChoices) {
  WidgetSpec width = widgetSpec(Command::Generate, "width");
  EXPECT_EQ(width.type, SettingType::Integer);
  EXPECT_EQ(width.min, 8);
  EXPECT_EQ(width.max, 4096);
  EXPECT_EQ(width.step, 8);
  EXPECT_EQ(width.defaultValue, 512);
  EXPECT_EQ(width.decimals, 0);
  EXPECT_EQ(width.unit, "pixels");
  EXPECT_NE(width.tooltip.find("a multiple of 8 from 8 to 4096"), std::string::npos) << width.tooltip;
  EXPECT_NE(width.tooltip.find("default 512"), std::string::npos) << width.tooltip;

  WidgetSpec cfg = widgetSpec(Command::Generate, "cfg");
  EXPECT_EQ(cfg.type, SettingType::Real);
  EXPECT_EQ(cfg.decimals, 1);
  EXPECT_EQ(cfg.defaultValue, 7.5);
  EXPECT_EQ(cfg.label, "guidance (cfg)");

  WidgetSpec strength = widgetSpec(Command::Generate, "spatial-strength");
  EXPECT_EQ(strength.min, 0);
  EXPECT_EQ(strength.max, 2);
  EXPECT_EQ(strength.defaultValue, 1);

  WidgetSpec scheduler = widgetSpec(Command::Generate, "scheduler");
  EXPECT_EQ(scheduler.type, SettingType::Choice);
  EXPECT_EQ(scheduler.choices, (std::vector<std::string>{"ddim", "euler", "euler-a", "dpmpp-2m"}));

  EXPECT_EQ(widgetSpec(Command::DatasetPrior, "count").defaultValue, 40);
  EXPECT_EQ(widgetSpec(Command::DatasetFrozen, "samples").defaultValue, 4);
  EXPECT_EQ(widgetSpec(Command::TrainMotionAdapter, "lr").decimals, 9);
  EXPECT_THROW(widgetSpec(Command::Generate, "count"), std::logic_error);
}

TEST(FormatDuration, SecondsThenMinutesThenHours) {
  EXPECT_EQ(formatDuration(0.523), "0.52 s");
  EXPECT_EQ(formatDuration(12.34), "12.3 s");
  EXPECT_EQ(formatDuration(65), "1:05");
  EXPECT_EQ(formatDuration(3723), "1:02:03");
}

}  // namespace
}  // namespace sm::settings
