// `stillmoving demo` on the shipped toy world (found beside the build tree's
// executable, as a user's first command finds it), at a reduced size: every
// method's video decodes, the contact sheet and both tables are written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/video/video_reader.h"
#include "tests/cli/cli_run.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

TEST(DemoCli, WritesEveryMethodsVideoTheContactSheetAndTheTables) {
  test::TempDir dir("demo_cli");
  const fs::path out = dir.path() / "demo";
  const CliRun run = runCli("demo --out " + out.string() + " --frames 4 --steps 3");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.err.find("demo"), std::string::npos) << "progress goes to stderr";

  const nlohmann::json results = nlohmann::json::parse(std::ifstream(out / "results.json"));
  std::set<std::string> methods;
  std::set<double> scales;
  for (const auto& row : results.at("rows")) {
    methods.insert(row.at("method").get<std::string>());
    if (row.at("method") == "still_moving") scales.insert(row.at("motion_scale").get<double>());
    const auto clip = video::readVideo((out / row.at("video").get<std::string>()).string());
    EXPECT_EQ(clip.frames.size(), 4u) << row.dump();
    EXPECT_EQ(clip.frames.front().width, 64) << row.dump();
  }
  // The shipped world has a canny ControlNet: a world video's edges drive Still-Moving.
  EXPECT_EQ(methods, (std::set<std::string>{"base", "naive_injection", "interpolation", "still_moving",
                                            "still_moving_no_controlnet", "still_moving_controlnet"}));
  EXPECT_EQ(scales, (std::set<double>{-1.0, 0.0, 1.0}));
  EXPECT_TRUE(fs::is_regular_file(out / "controlnet_sheet.png"));
  EXPECT_TRUE(fs::is_regular_file(out / "driving_video.mp4"));
  const auto sheet = video::readVideo((out / "contact_sheet.png").string());
  ASSERT_EQ(sheet.frames.size(), 1u);
  EXPECT_GT(sheet.frames[0].height, 6 * 64);  // one row per method
  EXPECT_TRUE(fs::is_regular_file(out / "results.md"));

  // The demo's videos scored by `stillmoving eval` with the shipped toy evaluator (its default).
  const std::string references = std::string(SM_SOURCE_DIR) + "/resources/toyworld/references/object";
  const CliRun eval = runCli("eval " + (out / results.at("rows")[0].at("video").get<std::string>()).string() +
                             " --prompt 'a sks toy' --reference-images " + references + " --json --quiet");
  ASSERT_EQ(eval.status, 0) << eval.err;
  const nlohmann::json scores = nlohmann::json::parse(eval.out);
  EXPECT_NE(scores.at("evaluator").get<std::string>().find("toy evaluator"), std::string::npos);
  int pictures = 0;
  for (const auto& e : fs::directory_iterator(references)) pictures += e.path().extension() == ".png";
  EXPECT_EQ(scores.at("references").get<int>(), pictures);
  EXPECT_LE(std::abs(scores.at("videos")[0].at("clip_i").get<double>()), 1.0);
}

TEST(DemoCli, AMissingModelsFolderIsNamed) {
  const CliRun run = runCli("demo --out /tmp/sm_demo_never --models /nonexistent/toyworld --quiet");
  EXPECT_EQ(run.status, 3);  // an input of the wrong kind
  EXPECT_NE(run.err.find("/nonexistent/toyworld"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace sm
