// `stillmoving generate` as a user runs it: nonsense refused before any model
// loads, and real MP4 / GIF / PNG output checked with ffprobe.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli/cli_run.h"
#include "tests/ffprobe.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;
using test::ffprobe;

std::string fixture(const std::string& name) { return "'" + test::dataPath("fixtures/" + name) + "'"; }

std::string tinyModels() {
  return "--base " + fixture("sd15_tiny_diffusers") + " --motion-module " + fixture("motion_adapter_tiny_v2_diffusers");
}

size_t countLines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class GenerateCli : public testing::Test {
 protected:
  test::TempDir temp_{"sm_generate_cli"};
  std::string out(const std::string& name) const { return (temp_.path() / name).string(); }
};

TEST_F(GenerateCli, NonsenseIsRefusedWithOneLineBeforeAnyModelLoads) {
  const std::string base = "--threads 1 generate " + tinyModels() + " --prompt cat --out " + out("a.mp4");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" --frames 0", "--frames must be an integer from 1"},
      {" --width 513", "width must be a multiple of 8"},
      {" --scheduler heun", "--scheduler"},
      {" --cfg abc", "--cfg must be a number"},
      {" --seed -3", "--seed must be a whole number"},
      {" --overlap 16", "context overlap"},
      {" --karras", "--karras works with euler"},
      {" --dtype fp16 --device cpu", "fp16 needs a CUDA GPU"},
      {" --frobnicate 1", "unknown option '--frobnicate'"},
  };
  for (const auto& [extra, message] : cases) {
    const CliRun run = runCli(base + extra);
    EXPECT_EQ(run.status, 2) << extra << ": " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << extra << ": " << run.err;
    EXPECT_EQ(countLines(run.err), 1u) << extra << ": " << run.err;
    EXPECT_FALSE(fs::exists(out("a.mp4")));
  }
  CliRun run = runCli("--threads 1 generate --base /nonexistent/sd15 --motion-module " +
                      fixture("mm_tiny_v2_original.ckpt") + " --prompt cat --out " + out("a.mp4"));
  EXPECT_EQ(run.status, 3);  // a missing input
  EXPECT_NE(run.err.find("--base /nonexistent/sd15: no such file"), std::string::npos) << run.err;
  run = runCli("--threads 1 generate " + tinyModels() + " --out " + out("a.mp4"));
  EXPECT_NE(run.err.find("--prompt is required"), std::string::npos) << run.err;
  run = runCli("--threads 1 generate " + tinyModels() + " --prompt cat --out " + out("a.avi"));
  EXPECT_NE(run.err.find("write .mp4, .gif, or a folder"), std::string::npos) << run.err;
  run = runCli("--threads 1 generate " + tinyModels() + " --prompt cat --out /nonexistent/dir/a.mp4");
  EXPECT_NE(run.err.find("does not exist"), std::string::npos) << run.err;
}

TEST_F(GenerateCli, WritesAnH264Mp4WithTheRequestedFramesAndSize) {
  const std::string file = out("cat.mp4");
  const CliRun run = runCli("--threads 1 generate " + tinyModels() +
                            " --prompt 'a photo of a cat' --frames 12 --width 96 --height 64 --steps 2 --seed 1 "
                            "--fps 12 --out " +
                            file);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, file + "\n");
  EXPECT_NE(run.err.find("denoising 2/2"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("seed 1"), std::string::npos) << run.err;
  const auto probe = ffprobe(file);
  EXPECT_EQ(probe.at("codec_name"), "h264");
  EXPECT_EQ(probe.at("pix_fmt"), "yuv420p");
  EXPECT_EQ(probe.at("width"), "96");
  EXPECT_EQ(probe.at("height"), "64");
  EXPECT_EQ(probe.at("nb_read_frames"), "12");
  EXPECT_EQ(probe.at("r_frame_rate"), "12/1");
}

TEST_F(GenerateCli, SameSeedSameFramesAndSeveralVideosGetNumberedFiles) {
  const std::string args =
      "--threads 1 generate " + tinyModels() + " --prompt dog --frames 4 --width 64 --height 64 --steps 1 ";
  ASSERT_EQ(runCli(args + "--seed 9 --out " + out("a")).status, 0);
  ASSERT_EQ(runCli(args + "--seed 9 --quiet --out " + out("b")).status, 0);
  for (int f = 0; f < 4; ++f) {
    const std::string name = "frame_0000" + std::to_string(f) + ".png";
    EXPECT_EQ(test::readFile((fs::path(out("a")) / name).string()),
              test::readFile((fs::path(out("b")) / name).string()))
        << name;
  }
  const CliRun run = runCli(args + "--videos 2 --scheduler euler-a --out " + out("pair.gif"));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, out("pair-1.gif") + "\n" + out("pair-2.gif") + "\n");
  EXPECT_EQ(ffprobe(out("pair-2.gif")).at("codec_name"), "gif");
  EXPECT_NE(test::readFile(out("pair-1.gif")), test::readFile(out("pair-2.gif")));
}

}  // namespace
}  // namespace sm
