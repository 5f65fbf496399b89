// `stillmoving compare`: its help names every config key, a bad config is a
// usage error (2) naming the file and the key, and nothing is written for it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/cli/cli_run.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

TEST(CompareCli, HelpNamesEveryConfigKeyAndMethod) {
  const CliRun help = runCli("compare --help");
  ASSERT_EQ(help.status, 0) << help.err;
  for (const char* key : {"models", "customizations", "methods", "prompts", "prompts_per_customization", "seeds",
                          "motion_scales", "frames", "size", "steps", "guidance", "interpolation", "train_steps",
                          "evaluator", "notes", "interleaved", "no_motion_adapter", "all_spatial_weights", "no_prior"})
    EXPECT_NE(help.out.find(key), std::string::npos) << key;
}

TEST(CompareCli, ABadConfigIsRefusedBeforeAnythingIsWritten) {
  test::TempDir dir("compare_cli");
  const fs::path config = dir.path() / "cfg.json";
  std::ofstream(config) << R"({"methods": ["still_moving", "magic"]})";
  const fs::path out = dir.path() / "out";
  const CliRun run = runCli("compare --config " + config.string() + " --out " + out.string() + " --quiet");
  EXPECT_EQ(run.status, 2) << run.err;
  EXPECT_NE(run.err.find("cfg.json"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("unknown method 'magic'"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(out));

  const CliRun missing = runCli("compare --config " + (dir.path() / "absent.json").string() + " --quiet");
  EXPECT_EQ(missing.status, 3) << missing.err;  // a missing input file
  EXPECT_NE(missing.err.find("absent.json"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace sm
