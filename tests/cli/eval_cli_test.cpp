// `stillmoving eval`: the table and the JSON carry every measure per video and
// aggregated; bad input is a usage (2) or input error, naming what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_run.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

const std::string kClip = std::string(SM_TEST_DATA_DIR) + "/clip/clip_model_tiny";

TEST(EvalCli, ScoresWorldVideosWithARealCLIPModel) {
  test::TempDir dir("eval_cli");
  const std::string videos = (dir.path() / "vid").string(), images = (dir.path() / "img").string();
  ASSERT_EQ(runCli("world videos --out " + videos + " --count 2 --seed 3 --quiet").status, 0);
  ASSERT_EQ(runCli("world images --out " + images + " --count 2 --seed 4 --quiet").status, 0);
  const std::string args = videos + "/0000.mp4 " + videos + "/0001.mp4 --prompt 'a red star' --reference-images " +
                           images + " --evaluator " + kClip + " --quiet";
  const CliRun json = runCli("eval " + args + " --json");
  ASSERT_EQ(json.status, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j.at("videos").size(), 2u);
  EXPECT_EQ(j.at("references").get<int>(), 2);
  double most = 0;
  for (const auto& v : j.at("videos")) {
    EXPECT_EQ(v.at("frames").get<int>(), 16);
    EXPECT_GE(v.at("motion").get<double>(), 0.0);
    most = std::max(most, v.at("motion").get<double>());
    EXPECT_LE(std::abs(v.at("clip_t").get<double>()), 1.0);
    EXPECT_LE(std::abs(v.at("clip_i").get<double>()), 1.0);
    EXPECT_LE(v.at("consistency").get<double>(), 1.0 + 1e-6);
  }
  // A small shape moving: the mean flow over the whole 256x256 frame is a fraction of a pixel (a
  // rotating circle shows none at all).
  EXPECT_GT(most, 0.1) << "world videos move";
  for (const char* m : {"clip_t", "clip_i", "motion", "dynamic_degree", "consistency"})
    EXPECT_EQ(j.at("aggregate").at(m).at("count").get<int>(), 2) << m;
  const double mean = (j["videos"][0]["motion"].get<double>() + j["videos"][1]["motion"].get<double>()) / 2;
  EXPECT_NEAR(j["aggregate"]["motion"]["mean"].get<double>(), mean, 1e-9);

  const CliRun table = runCli("eval " + args);
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("| 0001.mp4 |"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("mean ± s.e."), std::string::npos) << table.out;
}

TEST(EvalCli, BadInputIsRefusedNamingIt) {
  EXPECT_EQ(runCli("eval").status, 2);
  const CliRun missing = runCli("eval /nonexistent/a.mp4 --evaluator " + kClip);
  EXPECT_EQ(missing.status, 3);  // missing inputs are exit status 3
  EXPECT_NE(missing.err.find("/nonexistent/a.mp4"), std::string::npos) << missing.err;
  test::TempDir dir("eval_cli_bad");
  ASSERT_EQ(runCli("world videos --out " + dir.path().string() + " --count 1 --quiet").status, 0);
  const CliRun badEvaluator = runCli("eval " + (dir.path() / "0000.mp4").string() + " --evaluator /nonexistent/clip");
  EXPECT_EQ(badEvaluator.status, 3);
  EXPECT_NE(badEvaluator.err.find("/nonexistent/clip"), std::string::npos) << badEvaluator.err;
}

}  // namespace
}  // namespace sm
