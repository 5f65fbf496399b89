// `stillmoving generate --controlnet ...` as a user runs it: groups of options,
// bad input refused with one line before denoising starts, and real output (the
// video and the condition preview) checked with ffprobe.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/video/video_writer.h"
#include "tests/cli/cli_run.h"
#include "tests/ffprobe.h"
#include "tests/keylist.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& path) { return "'" + path + "'"; }
std::string fixture(const std::string& name) { return quoted(test::dataPath("fixtures/" + name)); }

std::string tinyModels() {
  return "--threads 1 generate --base " + fixture("sd15_tiny_diffusers") + " --motion-module " +
         fixture("motion_adapter_tiny_v2_diffusers") + " --prompt 'a photo of a cat' --steps 2 --seed 3 ";
}

class ControlNetCli : public testing::Test {
 protected:
  test::TempDir temp_{"sm_controlnet_cli"};
  std::string out(const std::string& name) const { return (temp_.path() / name).string(); }

  // A folder of `count` PNG frames of a square moving right, `width` x `height`.
  std::string drivingFrames(const std::string& name, int count, int width = 80, int height = 64) const {
    video::VideoClip clip;
    clip.fps = 8;
    for (int k = 0; k < count; ++k) {
      video::Frame f;
      f.width = width;
      f.height = height;
      f.rgb.assign(static_cast<size_t>(width) * height * 3, 30);
      for (int y = 20; y < 44; ++y)
        for (int x = 4 + 4 * k; x < 28 + 4 * k && x < width; ++x)
          for (int c = 0; c < 3; ++c) f.rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = 230;
      clip.frames.push_back(f);
    }
    const std::string folder = out(name);
    video::writeVideo(folder, clip);
    return folder;
  }
};

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST_F(ControlNetCli, BadInputGetsOneLineBeforeDenoising) {
  const std::string frames = quoted(drivingFrames("drive", 8));
  const std::string net = " --controlnet " + fixture("controlnet_tiny_diffusers");
  const std::string base = tinyModels() + "--frames 8 --width 64 --height 64 --quiet --out " + out("a.mp4");
  struct Case {
    std::string args;
    int status;
    std::vector<std::string> says;
  };
  std::ofstream(out("broken.mp4")) << "this is not a video";
  const std::vector<Case> cases = {
      {" --control-video " + frames, 2, {"--control-video belongs to a ControlNet", "--controlnet PATH before it"}},
      {net, 2, {"needs its driving video", "--control-video"}},
      {net + " --control-video " + frames + " --control-type depth", 2, {"--control-type must be", "canny"}},
      {net + " --control-video " + frames + " --control-start 0.8 --control-end 0.2", 2, {"control start"}},
      {net + " --control-video " + frames + " --control-scale 2 --control-scale 1", 2, {"given twice"}},
      {net + " --control-video " + frames + " --control-preview " + out("p.avi"), 2, {"--control-preview", ".mp4"}},
      {net + " --control-video " + quoted(out("missing.mp4")), 3, {"--control-video", "no such file"}},
      {net + " --control-video " + quoted(out("broken.mp4")), 3, {"broken.mp4"}},
      {net + " --control-video " + quoted(drivingFrames("short", 3)), 3, {"has 3 frames", "needs 8", "--control-loop"}},
      // The fixture ControlNet (widths 8..24) on the toy world's base (widths 64).
      {"", 3, {"conv_in.weight", "has shape", "another base model"}},
  };
  for (const Case& c : cases) {
    std::string command = base + c.args;
    if (c.args.empty())
      command = "--threads 1 generate --base " + quoted(std::string(SM_SOURCE_DIR) + "/resources/toyworld/base") +
                " --motion-module " + quoted(std::string(SM_SOURCE_DIR) + "/resources/toyworld/motion_module") +
                " --prompt 'a red star' --frames 8 --width 64 --height 64 --steps 2 --quiet --out " + out("a.mp4") +
                net + " --control-video " + frames;
    const CliRun run = runCli(command);
    EXPECT_EQ(run.status, c.status) << c.args << ": " << run.err;
    for (const std::string& s : c.says) EXPECT_NE(run.err.find(s), std::string::npos) << c.args << ": " << run.err;
    EXPECT_EQ(lines(run.err), 1u) << c.args << ": " << run.err;
    EXPECT_EQ(run.err.find("denoising"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(out("a.mp4")));
  }
}

TEST_F(ControlNetCli, TwoControlNetsWithTheirOwnVideosWriteTheVideoAndThePreviews) {
  const std::string video = out("cat.mp4"), preview1 = out("edges.mp4"), preview2 = out("gray.gif");
  const CliRun run =
      runCli(tinyModels() + "--frames 8 --width 64 --height 64 --out " + video +                          //
             " --controlnet " + fixture("controlnet_tiny_diffusers") +                                    //
             " --control-video " + quoted(drivingFrames("a", 10)) +                                       //
             " --control-type canny --control-low 50 --control-high 150 --control-preview " + preview1 +  //
             " --controlnet " + fixture("controlnet_tiny_original.safetensors") +                         //
             " --control-video " + quoted(drivingFrames("b", 3, 64, 64)) +                                //
             " --control-loop --control-type gray --control-scale 0.5 --control-start 0.2 "
             "--control-preview " +
             preview2);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, video + "\n");
  EXPECT_NE(run.err.find("ControlNet: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("original naming"), std::string::npos) << run.err;
  for (const std::string& file : {video, preview1, preview2}) {
    const auto probe = test::ffprobe(file);
    EXPECT_EQ(probe.at("width"), "64") << file;
    EXPECT_EQ(probe.at("height"), "64") << file;
    EXPECT_EQ(probe.at("nb_read_frames"), "8") << file;
  }
}

}  // namespace
}  // namespace sm
