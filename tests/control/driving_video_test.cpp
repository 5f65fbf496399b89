// The driving video as a generation takes it: frame i for generated frame i,
// a stride when asked, the generation's size by cover-and-crop, a clear error
// naming both counts when too short, and a loop when asked.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/control/driving_video.h"
#include "core/util/error.h"
#include "core/video/video_writer.h"
#include "tests/temp_dir.h"

namespace sm::control {
namespace {

// Frame k: a flat gray of level 20 k, so each frame says which it is.
std::string writeNumberedFrames(const test::TempDir& dir, int count, int width, int height) {
  video::VideoClip clip;
  clip.fps = 8;
  for (int k = 0; k < count; ++k) {
    video::Frame f;
    f.width = width;
    f.height = height;
    f.rgb.assign(static_cast<size_t>(width) * height * 3, static_cast<uint8_t>(20 * k));
    clip.frames.push_back(f);
  }
  const std::string folder = (dir.path() / "frames").string();
  video::writeVideo(folder, clip);
  return folder;
}

ControlNetUnit unitFor(const std::string& video) {
  ControlNetUnit unit;
  unit.controlNet = "unused.safetensors";
  unit.video = video;
  unit.preprocessor.type = ControlType::Raw;
  return unit;
}

TEST(DrivingVideo, FramesAreTakenInOrderAtTheGenerationSize) {
  test::TempDir dir("sm_driving");
  ControlNetUnit unit = unitFor(writeNumberedFrames(dir, 10, 96, 48));
  const ConditionVideo v = readConditionVideo(unit, 4, 32, 32);
  ASSERT_EQ(v.source.frames.size(), 4u);
  ASSERT_EQ(v.condition.frames.size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(v.source.frames[k].width, 32);
    EXPECT_EQ(v.source.frames[k].height, 32);
    EXPECT_NEAR(v.source.frames[k].rgb[0], 20 * k, 1);
  }
  unit.stride = 3;  // frames 0, 3, 6, 9
  const ConditionVideo strided = readConditionVideo(unit, 4, 32, 32);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(strided.source.frames[k].rgb[0], 60 * k, 1);
}

TEST(DrivingVideo, TooFewFramesNameBothCountsUnlessLooped) {
  test::TempDir dir("sm_driving");
  ControlNetUnit unit = unitFor(writeNumberedFrames(dir, 3, 16, 16));
  try {
    readConditionVideo(unit, 8, 16, 16);
    FAIL() << "a 3-frame video drove 8 frames";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("has 3 frames"), std::string::npos) << message;
    EXPECT_NE(message.find("needs 8"), std::string::npos) << message;
    EXPECT_NE(message.find("--control-loop"), std::string::npos) << message;
  }
  unit.loop = true;
  const ConditionVideo v = readConditionVideo(unit, 8, 16, 16);
  ASSERT_EQ(v.condition.frames.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(v.source.frames[k].rgb[0], 20 * (k % 3), 1);
}

TEST(DrivingVideo, AFileThatDoesNotDecodeIsAVideoError) {
  test::TempDir dir("sm_driving");
  const auto path = dir.path() / "broken.mp4";
  std::ofstream(path) << "not a video at all";
  EXPECT_THROW(readConditionVideo(unitFor(path.string()), 4, 16, 16), VideoIOError);
}

}  // namespace
}  // namespace sm::control
