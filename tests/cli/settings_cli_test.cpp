// The CLI agrees with the settings table (and so with core's validation, which
// reads the same table: tests/settings/settings_validation_test.cpp): for every
// setting of every command, --help shows its default, the CLI accepts the
// table's min and max, and refuses below min, above max and off the multiple
// with one line naming the option and exit status 2. And a 72x40 video, which
// the old CLI refused, is generated.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"
#include "tests/cli/cli_run.h"
#include "tests/ffprobe.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

using settings::Command;
using settings::Setting;
using settings::SettingType;

size_t countLines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

std::string option(const Setting& s, const std::string& value) { return " --" + s.key + " '" + value + "'"; }

// The help line of `--key`: the one that starts with it.
std::string helpLine(const std::string& help, const std::string& key) {
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("  --" + key + " ", 0) == 0 || line == "  --" + key) return line;
  return "";
}

void expectRefused(const std::string& command, const Setting& s, const std::string& value) {
  const CliRun run = runCli("--threads 1 " + command + option(s, value));
  EXPECT_EQ(run.status, 2) << command << " --" << s.key << " " << value << ": " << run.err;
  EXPECT_NE(run.err.find("--" + s.key + " must be"), std::string::npos) << command << " " << value << ": " << run.err;
  EXPECT_EQ(countLines(run.err), 1u) << run.err;
}

void expectAgreement(Command which) {
  const std::string command = settings::commandName(which);
  const CliRun help = runCli(command + " --help");
  ASSERT_EQ(help.status, 0) << help.err;
  std::string atMin, atMax;
  for (const Setting* s : settings::settingsOf(which)) {
    const std::string line = helpLine(help.out, s->key);
    EXPECT_FALSE(line.empty()) << command << " --help lacks --" << s->key << "\n" << help.out;
    if (!s->defaultText.empty())
      EXPECT_NE(line.find("(" + s->defaultText + ")"), std::string::npos) << command << ": " << line;
    if (s->numeric()) {
      atMin += option(*s, settings::formatNumber(s->min));
      atMax += option(*s, settings::formatNumber(s->max));
      const double delta = s->type == SettingType::Integer ? 1 : std::max(1e-3, (s->max - s->min) / 100);
      expectRefused(command, *s, settings::formatNumber(s->min - delta));
      expectRefused(command, *s, settings::formatNumber(s->max + delta));
      if (s->multipleOf > 1) expectRefused(command, *s, settings::formatNumber(s->min + s->multipleOf / 2));
    } else if (s->type == SettingType::Choice) {
      atMin += option(*s, s->choices.front());
      atMax += option(*s, s->choices.back());
      expectRefused(command, *s, "bogus");
    } else if (s->type == SettingType::Seed) {
      atMin += option(*s, "0");
      atMax += option(*s, "18446744073709551615");
      expectRefused(command, *s, "-1");
    }
  }
  // Every value in range passes the option checks; what stops these runs is a missing --base or --out.
  for (const std::string& values : {atMin, atMax}) {
    const CliRun run = runCli("--threads 1 " + command + values);
    EXPECT_EQ(run.status, 2) << run.err;
    EXPECT_EQ(run.err.find(" must be "), std::string::npos) << command << values << ": " << run.err;
  }
}

TEST(SettingsCli, GenerateAgreesWithTheTable) { expectAgreement(Command::Generate); }
TEST(SettingsCli, DatasetFrozenAgreesWithTheTable) { expectAgreement(Command::DatasetFrozen); }
TEST(SettingsCli, DatasetPriorAgreesWithTheTable) { expectAgreement(Command::DatasetPrior); }
TEST(SettingsCli, TrainMotionAdapterAgreesWithTheTable) { expectAgreement(Command::TrainMotionAdapter); }
TEST(SettingsCli, TrainSpatialAdaptersAgreesWithTheTable) { expectAgreement(Command::TrainSpatialAdapters); }

TEST(SettingsCli, GlobalThreadsAgreeWithTheTable) {
  const CliRun help = runCli("--help");
  EXPECT_NE(helpLine(help.out, "threads").find("(all physical cores)"), std::string::npos) << help.out;
  EXPECT_EQ(runCli("--threads 1024 version").status, 0);
  EXPECT_EQ(runCli("--threads 1025 version").status, 2);
}

TEST(SettingsCli, GeneratesA72x40Video) {
  test::TempDir temp("sm_settings_cli");
  const std::string file = temp.file("small.mp4");
  const CliRun run = runCli("--threads 1 generate --base '" + test::dataPath("fixtures/sd15_tiny_diffusers") +
                            "' --motion-module '" + test::dataPath("fixtures/motion_adapter_tiny_v2_diffusers") +
                            "' --prompt cat --frames 2 --width 72 --height 40 --steps 1 --seed 3 --out " + file);
  ASSERT_EQ(run.status, 0) << run.err;
  const auto probe = test::ffprobe(file);
  EXPECT_EQ(probe.at("width"), "72");
  EXPECT_EQ(probe.at("height"), "40");
  EXPECT_EQ(probe.at("nb_read_frames"), "2");
}

}  // namespace
}  // namespace sm
