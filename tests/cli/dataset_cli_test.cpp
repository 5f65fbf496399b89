// `stillmoving dataset frozen|prior` as a user runs it: mistakes refused in one
// line before any model loads, and small datasets built from the tiny models
// and from a folder of videos.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/video/video_writer.h"
#include "tests/cli/cli_run.h"
#include "tests/ffprobe.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) { return "'" + s + "'"; }
std::string tinyBase() { return quoted(test::dataPath("fixtures/sd15_tiny_diffusers")); }

size_t countLines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class DatasetCli : public testing::Test {
 protected:
  test::TempDir temp_{"sm_dataset_cli"};
  std::string path(const std::string& name) const { return (temp_.path() / name).string(); }
};

TEST_F(DatasetCli, MistakesAreOneLineAndExitTwoBeforeAnyModelLoads) {
  const std::string frozen = "--threads 1 dataset frozen --out " + path("ds") + " --base " + tinyBase();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {frozen, "give a source"},
      {frozen + " --images a --videos b", "two sources"},
      {frozen + " --prompt dog --width 65", "width must be a multiple of 8"},
      {frozen + " --prompt dog --frames 0", "--frames must be an integer from 1"},
      {frozen + " --images " + path("nowhere") + " --prompt dog", "does not go with --images"},
      {frozen + " --prompt dog --seed -1", "--seed must be a whole number"},
      {frozen + " --prompt dog --count 3", "--count and --stride are options of dataset prior"},
      {frozen + " --generated --prompt dog", "motion module is required"},
      {"--threads 1 dataset frozen --base " + tinyBase() + " --prompt dog", "--out is required"},
      {"--threads 1 dataset prior --out " + path("ds") + " --base " + tinyBase() + " --images x", "needs motion"},
      {"--threads 1 dataset prior --out " + path("ds") + " --base " + tinyBase(), "give a source"},
      {"--threads 1 dataset sideways", "unknown dataset kind 'sideways'"},
  };
  for (const auto& [args, message] : cases) {
    const CliRun run = runCli(args);
    EXPECT_EQ(run.status, 2) << args << ": " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << args << ": " << run.err;
    EXPECT_EQ(countLines(run.err), 1u) << args << ": " << run.err;
  }
  // A missing input is the input's problem, not the command's: exit status 3.
  const std::vector<std::pair<std::string, std::string>> missing = {
      {frozen + " --images " + path("nowhere"), "no such folder"},
      {"--threads 1 dataset frozen --out " + path("ds") + " --base /nonexistent/sd15 --prompt dog",
       "--base /nonexistent/sd15: no such file"},
  };
  for (const auto& [args, message] : missing) {
    const CliRun run = runCli(args);
    EXPECT_EQ(run.status, 3) << args << ": " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << args << ": " << run.err;
    EXPECT_EQ(countLines(run.err), 1u) << args << ": " << run.err;
  }
  EXPECT_FALSE(fs::exists(path("ds")));

  CliRun run = runCli("dataset frozen --help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("--frames-per-video"), std::string::npos) << run.out;
  run = runCli("dataset prior --help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("--stride"), std::string::npos) << run.out;
  run = runCli("--help");
  EXPECT_NE(run.out.find("dataset frozen|prior"), std::string::npos) << run.out;
}

TEST_F(DatasetCli, BuildsAFrozenDatasetFromTheTinyModel) {
  const std::string out = path("dogs");
  const CliRun run = runCli("--threads 1 dataset frozen --out " + out + " --base " + tinyBase() +
                            " --prompt 'a photo of sks dog' --prompt 'sks dog asleep' --samples 2 --width 64 "
                            "--height 64 --frames 4 --steps 2 --seed 3 --device cpu --dtype fp32");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, out + "\n");
  EXPECT_NE(run.err.find("sampling 8/8"), std::string::npos) << run.err;  // 4 images x 2 steps
  EXPECT_NE(run.err.find("4 frozen samples"), std::string::npos) << run.err;
  for (const char* file : {"dataset.json", "latents.safetensors", "preview.png", "images/0003.png"})
    EXPECT_TRUE(fs::exists(fs::path(out) / file)) << file;
  if (test::haveFfprobe()) {
    const auto probe = test::ffprobe(fs::path(out) / "previews/sample-0003.mp4");
    EXPECT_EQ(probe.at("codec_name"), "h264");
    EXPECT_EQ(probe.at("nb_read_frames"), "4");
    EXPECT_EQ(probe.at("width"), "64");
  }

  // A folder holding anything but a dataset is refused, and left alone.
  fs::create_directories(path("mine"));
  temp_.write("mine/notes.txt", "keep me");
  const CliRun refused = runCli("--threads 1 dataset frozen --out " + path("mine") + " --base " + tinyBase() +
                                " --prompt dog --width 64 --height 64 --steps 1");
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("notes.txt"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(path("mine/notes.txt")));
}

TEST_F(DatasetCli, BuildsAPriorDatasetFromAFolderOfVideos) {
  fs::create_directories(path("videos"));
  video::VideoClip clip;
  clip.fps = 8;
  for (int k = 0; k < 10; ++k) {
    video::Frame frame;
    frame.width = 80;
    frame.height = 64;
    frame.rgb.assign(80 * 64 * 3, static_cast<uint8_t>(20 * k));
    clip.frames.push_back(frame);
  }
  video::writeVideo(path("videos/a.mp4"), clip);
  video::writeVideo(path("videos/b.mp4"), clip);
  temp_.write("videos/bad.mp4", "nonsense");
  const std::string out = path("prior");
  const CliRun run = runCli("--threads 1 dataset prior --out " + out + " --base " + tinyBase() + " --videos " +
                            path("videos") + " --count 3 --frames 3 --stride 2 --width 64 --height 64 " +
                            "--caption 'a video' --device cpu --dtype fp32");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, out + "\n");
  EXPECT_NE(run.err.find("2 prior samples"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("bad.mp4"), std::string::npos) << "bad.mp4 is named: " << run.err;
  const std::string manifest = test::readFile(out + "/dataset.json");
  EXPECT_NE(manifest.find("\"kind\": \"prior\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"stride\": 2"), std::string::npos) << manifest;
}

}  // namespace
}  // namespace sm
