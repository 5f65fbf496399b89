// `stillmoving world images|videos`: samples with captions a user can look at
// and the dataset commands can read; bad options are usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/video/video_reader.h"
#include "tests/cli/cli_run.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

TEST(WorldCli, ImagesAndVideosComeWithTheirCaptions) {
  test::TempDir dir("world_cli");
  const CliRun images = runCli("world images --out " + (dir.path() / "img").string() + " --count 3 --seed 5 --quiet");
  ASSERT_EQ(images.status, 0) << images.err;
  const CliRun videos = runCli("world videos --out " + (dir.path() / "vid").string() + " --count 2 --seed 5 --quiet");
  ASSERT_EQ(videos.status, 0) << videos.err;
  std::ifstream lines(dir.path() / "vid" / "captions.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    const auto clip = video::readVideo((dir.path() / "vid" / j.at("file").get<std::string>()).string());
    EXPECT_EQ(clip.frames.size(), 16u);
    EXPECT_EQ(clip.frames[0].width, 64);
    EXPECT_NE(j.at("caption").get<std::string>().find(j.at("motion").get<std::string>()), std::string::npos);
    std::ifstream txt(dir.path() / "vid" / ("000" + std::to_string(n) + ".txt"));
    std::string caption;
    std::getline(txt, caption);
    EXPECT_EQ(caption, j.at("caption").get<std::string>());
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(fs::exists(dir.path() / "img" / "0002.png"));
  // The same seed writes the same captions.
  const CliRun again = runCli("world images --out " + (dir.path() / "img2").string() + " --count 3 --seed 5 --quiet");
  ASSERT_EQ(again.status, 0);
  std::ifstream a(dir.path() / "img" / "captions.jsonl"), b(dir.path() / "img2" / "captions.jsonl");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST(WorldCli, BadOptionsAreUsageErrors) {
  EXPECT_EQ(runCli("world images --count 3").status, 2);
  EXPECT_EQ(runCli("world images --out /tmp/x --count 0").status, 2);
  const CliRun stages = runCli("world train --out /tmp/sm_world_never --stages nope");
  EXPECT_EQ(stages.status, 2);
  EXPECT_NE(stages.err.find("nope"), std::string::npos) << stages.err;
}

}  // namespace
}  // namespace sm
