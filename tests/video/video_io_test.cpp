#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "core/video/video_writer.h"
#include "tests/ffprobe.h"
#include "tests/temp_dir.h"

namespace sm::video {
namespace {
namespace fs = std::filesystem;
using test::ffprobe;
using test::haveFfprobe;
using test::runCommand;

/// A gradient background with a coloured square moving diagonally.
VideoClip makeClip(int frames, int width, int height, double fps = 24.0) {
  VideoClip clip;
  clip.fps = fps;
  for (int f = 0; f < frames; ++f) {
    Frame frame{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
    const int squareX = (f * 2) % std::max(1, width - 12), squareY = f % std::max(1, height - 12);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        uint8_t* pixel = &frame.rgb[(static_cast<size_t>(y) * width + x) * 3];
        const bool inSquare = x >= squareX && x < squareX + 12 && y >= squareY && y < squareY + 12;
        pixel[0] = inSquare ? 230 : static_cast<uint8_t>(40 + 150 * x / width);
        pixel[1] = inSquare ? 60 : static_cast<uint8_t>(40 + 150 * y / height);
        pixel[2] = inSquare ? 40 : static_cast<uint8_t>(120 + 4 * f);
      }
    }
    clip.frames.push_back(std::move(frame));
  }
  return clip;
}

double meanAbsError(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  if (a.rgb.size() != b.rgb.size() || a.rgb.empty()) return 255.0;
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) sum += std::abs(int(a.rgb[i]) - int(b.rgb[i]));
  return sum / a.rgb.size();
}

std::string readBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

class VideoIOTest : public testing::Test {
 protected:
  /// Names in the test folder, sorted.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  test::TempDir temp_{"sm_video_test"};
  const fs::path dir_ = temp_.path();
};

TEST_F(VideoIOTest, Mp4RoundTripKeepsFramesSizeRateAndPixels) {
  const VideoClip clip = makeClip(24, 64, 48);
  const std::string path = file("clip.mp4");
  writeVideo(path, clip);

  const VideoClip back = readVideo(path);
  ASSERT_EQ(back.frames.size(), 24u);
  EXPECT_NEAR(back.fps, 24.0, 1e-9);
  for (size_t i = 0; i < back.frames.size(); ++i) {
    ASSERT_EQ(back.frames[i].width, 64);
    ASSERT_EQ(back.frames[i].height, 48);
    EXPECT_LT(meanAbsError(back.frames[i], clip.frames[i]), 6.0) << "frame " << i;
  }
  const VideoInfo info = probeVideo(path);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_NEAR(info.fps, 24.0, 1e-9);
  EXPECT_EQ(info.frameCount, 24);
  EXPECT_NEAR(info.durationSeconds, 1.0, 1e-6);
  EXPECT_EQ(info.codecName, "h264");
  EXPECT_EQ(listing(), std::vector<std::string>{"clip.mp4"});  // no temp file left
}

TEST_F(VideoIOTest, Mp4IsH264Yuv420pWithExactFrameCountAndFaststart) {
  ASSERT_TRUE(haveFfprobe()) << "ffprobe (Debian package ffmpeg, installed by packaging/setup.sh) is needed";
  const std::string path = file("clip.mp4");
  WriteOptions options;
  options.preset = "veryfast";
  writeVideo(path, makeClip(24, 64, 48), options);

  const auto probe = ffprobe(path);
  EXPECT_EQ(probe.at("codec_name"), "h264");
  EXPECT_EQ(probe.at("pix_fmt"), "yuv420p");
  EXPECT_EQ(probe.at("r_frame_rate"), "24/1");
  EXPECT_EQ(probe.at("nb_frames"), "24");
  EXPECT_EQ(probe.at("nb_read_frames"), "24");
  const std::string bytes = readBytes(path);
  const size_t moov = bytes.find("moov"), mdat = bytes.find("mdat");
  ASSERT_NE(moov, std::string::npos);
  ASSERT_NE(mdat, std::string::npos);
  EXPECT_LT(moov, mdat) << "faststart: the moov atom must precede mdat";
}

TEST_F(VideoIOTest, Mp4KeepsAFractionalFrameRate) {
  ASSERT_TRUE(haveFfprobe()) << "ffprobe (Debian package ffmpeg, installed by packaging/setup.sh) is needed";
  const std::string path = file("ntsc.mp4");
  writeVideo(path, makeClip(10, 32, 32, 30000.0 / 1001.0));
  EXPECT_EQ(ffprobe(path).at("r_frame_rate"), "30000/1001");
  const VideoInfo info = probeVideo(path);
  EXPECT_NEAR(info.fps, 29.97, 0.001);
  EXPECT_EQ(info.frameCount, 10);
}

TEST_F(VideoIOTest, Mp4PadsAnOddSizeByRepeatingTheLastColumnAndRow) {
  const VideoClip clip = makeClip(4, 33, 25);
  const std::string path = file("odd.mp4");
  writeVideo(path, clip);
  const VideoClip back = readVideo(path);
  ASSERT_EQ(back.frames.size(), 4u);
  const Frame& frame = back.frames[0];
  ASSERT_EQ(frame.width, 34);
  ASSERT_EQ(frame.height, 26);
  // Cropping the padding off gives the original back (within the codec's error).
  Frame cropped{33, 25, {}};
  for (int y = 0; y < 25; ++y)
    cropped.rgb.insert(cropped.rgb.end(), frame.rgb.begin() + y * 34 * 3, frame.rgb.begin() + (y * 34 + 33) * 3);
  EXPECT_LT(meanAbsError(cropped, clip.frames[0]), 6.0);
  // The padding repeats the edge: the last column is close to the one before it.
  for (int y = 0; y < 25; ++y)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(frame.rgb[(y * 34 + 33) * 3 + c], clip.frames[0].rgb[(y * 33 + 32) * 3 + c], 24) << y;
}

TEST_F(VideoIOTest, GifRoundTripsWithAPaletteAndLoopsForever) {
  const VideoClip clip = makeClip(12, 64, 48, 10.0);
  const std::string path = file("clip.gif");
  writeVideo(path, clip);

  const VideoClip back = readVideo(path);
  ASSERT_EQ(back.frames.size(), 12u);
  EXPECT_NEAR(back.fps, 10.0, 0.01);
  for (size_t i = 0; i < back.frames.size(); ++i)
    EXPECT_LT(meanAbsError(back.frames[i], clip.frames[i]), 8.0) << "frame " << i;
  EXPECT_EQ(probeVideo(path).codecName, "gif");
  // NETSCAPE2.0 application extension, sub-block 1, loop count 0 = forever.
  EXPECT_NE(readBytes(path).find(std::string("NETSCAPE2.0\x03\x01\x00\x00", 15)), std::string::npos);
  EXPECT_EQ(listing(), std::vector<std::string>{"clip.gif"});

  // Delays are whole centiseconds, at least 2: a 200 fps clip plays at 50 fps, every frame kept.
  writeVideo(path, makeClip(4, 16, 16, 200.0));
  const VideoClip fast = readVideo(path);
  EXPECT_EQ(fast.frames.size(), 4u);
  EXPECT_NEAR(fast.fps, 50.0, 0.01);
}

TEST_F(VideoIOTest, PngFolderRoundTripIsExact) {
  const VideoClip clip = makeClip(5, 33, 25, 12.0);
  const std::string folder = file("frames");
  writeVideo(folder, clip);
  EXPECT_TRUE(fs::exists(dir_ / "frames" / "frame_00000.png"));
  EXPECT_TRUE(fs::exists(dir_ / "frames" / "frame_00004.png"));
  EXPECT_EQ(listing(), std::vector<std::string>{"frames"});

  ReadOptions options;
  options.imageFolderFps = 12.0;
  const VideoClip back = readVideo(folder, options);
  ASSERT_EQ(back.frames.size(), 5u);
  EXPECT_EQ(back.fps, 12.0);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(back.frames[i].rgb, clip.frames[i].rgb) << "frame " << i;
  const VideoInfo info = probeVideo(folder);
  EXPECT_EQ(info.frameCount, 5);
  EXPECT_EQ(info.width, 33);
  EXPECT_EQ(info.codecName, "png");

  // Rewriting a shorter clip into the existing folder drops the stale frames, keeps other files.
  writeBytes(dir_ / "frames" / "notes.txt", "keep me");
  writeVideo(folder + "/", makeClip(2, 33, 25));
  EXPECT_TRUE(fs::exists(dir_ / "frames" / "notes.txt"));
  EXPECT_TRUE(fs::exists(dir_ / "frames" / "frame_00001.png"));
  EXPECT_FALSE(fs::exists(dir_ / "frames" / "frame_00002.png"));
  EXPECT_EQ(readVideo(folder).frames.size(), 2u);
  EXPECT_EQ(listing(), std::vector<std::string>{"frames"});
}

TEST_F(VideoIOTest, StartStrideAndMaxFramesPickTheRightFrames) {
  const VideoClip clip = makeClip(12, 32, 24);
  writeVideo(file("frames"), clip);
  writeVideo(file("clip.mp4"), clip);
  ReadOptions options;
  options.startFrame = 2;
  options.stride = 3;
  options.maxFrames = 3;

  const VideoClip fromFolder = readVideo(file("frames"), options);
  ASSERT_EQ(fromFolder.frames.size(), 3u);
  EXPECT_NEAR(fromFolder.fps, 8.0, 1e-9);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(fromFolder.frames[i].rgb, clip.frames[2 + 3 * i].rgb);

  const VideoClip fromMp4 = readVideo(file("clip.mp4"), options);
  ASSERT_EQ(fromMp4.frames.size(), 3u);
  EXPECT_NEAR(fromMp4.fps, 8.0, 1e-9);
  for (int i = 0; i < 3; ++i) {
    const double right = meanAbsError(fromMp4.frames[i], clip.frames[2 + 3 * i]);
    EXPECT_LT(right, 6.0);
    EXPECT_LT(right, meanAbsError(fromMp4.frames[i], clip.frames[3 + 3 * i]));
  }

  options = {};
  options.stride = 5;
  EXPECT_EQ(readVideo(file("clip.mp4"), options).frames.size(), 3u);  // 0, 5, 10
  options = {};
  options.startFrame = 12;
  EXPECT_THROW(readVideo(file("clip.mp4"), options), VideoIOError);
}

TEST_F(VideoIOTest, ResizeStretchesOrCropsTheCentre) {
  // 64x48: red 8-pixel bands left and right, blue in between.
  Frame frame{64, 48, std::vector<uint8_t>(64 * 48 * 3)};
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* pixel = &frame.rgb[(y * 64 + x) * 3];
      const bool band = x < 8 || x >= 56;
      pixel[0] = band ? 255 : 0;
      pixel[2] = band ? 0 : 255;
    }
  writeVideo(file("bands"), VideoClip{{frame, frame}, 24.0});

  ReadOptions options;
  options.width = 48;
  options.height = 48;
  options.resize = ResizeMode::CenterCrop;
  const Frame crop = readVideo(file("bands"), options).frames.at(0);
  ASSERT_EQ(crop.width, 48);
  ASSERT_EQ(crop.height, 48);
  for (size_t i = 0; i < crop.rgb.size(); i += 3) ASSERT_EQ(crop.rgb[i + 2], 255) << "pixel " << i / 3;  // all blue

  options.resize = ResizeMode::Stretch;
  const Frame stretched = readVideo(file("bands"), options).frames.at(0);
  ASSERT_EQ(stretched.width, 48);
  EXPECT_GT(stretched.rgb[0], 200);  // the red band survives, squeezed
  EXPECT_GT(stretched.rgb[(47 * 48 + 47) * 3], 200);

  options = {};
  options.width = 32;  // height follows the aspect ratio
  const Frame half = readVideo(file("bands"), options).frames.at(0);
  EXPECT_EQ(half.width, 32);
  EXPECT_EQ(half.height, 24);

  options = {};
  options.width = 20;
  options.height = 40;
  options.resize = ResizeMode::CenterCrop;
  writeVideo(file("bands.mp4"), VideoClip{{frame, frame}, 24.0});
  const Frame tall = readVideo(file("bands.mp4"), options).frames.at(0);
  EXPECT_EQ(tall.width, 20);
  EXPECT_EQ(tall.height, 40);
  EXPECT_LT(tall.rgb[0], 60);  // the centre of a blue frame: no red band
}

TEST_F(VideoIOTest, ProgressIsReportedOncePerFrame) {
  for (const char* name : {"p.mp4", "p.gif", "p_frames"}) {
    std::vector<std::pair<int, int>> calls;
    WriteOptions options;
    options.onProgress = [&](int done, int total) { calls.emplace_back(done, total); };
    writeVideo(file(name), makeClip(6, 16, 16), options);
    ASSERT_EQ(calls.size(), 6u) << name;
    for (int i = 0; i < 6; ++i) EXPECT_EQ(calls[i], std::make_pair(i + 1, 6)) << name;
  }
}

TEST_F(VideoIOTest, CancellingLeavesNothingBehind) {
  writeBytes(dir_ / "old.mp4", "previous export");
  for (const char* name : {"new.mp4", "old.mp4", "c.gif", "c_frames"}) {
    std::atomic<bool> cancel{false};
    WriteOptions options;
    options.cancel = &cancel;
    options.onProgress = [&](int done, int) {
      if (done == 3) cancel = true;
    };
    EXPECT_THROW(writeVideo(file(name), makeClip(8, 16, 16), options), Cancelled) << name;
    EXPECT_EQ(listing(), std::vector<std::string>{"old.mp4"}) << name;
  }
  EXPECT_EQ(readBytes(dir_ / "old.mp4"), "previous export");

  std::atomic<bool> cancel{true};
  ReadOptions readOptions;
  readOptions.cancel = &cancel;
  writeVideo(file("r.mp4"), makeClip(2, 16, 16));
  EXPECT_THROW(readVideo(file("r.mp4"), readOptions), Cancelled);
}

/// Expects VideoIOError whose message names `path`.
template <typename F>
void expectVideoIOError(const std::string& path, F&& call) {
  try {
    call();
    ADD_FAILURE() << "no VideoIOError for " << path;
  } catch (const VideoIOError& error) {
    EXPECT_EQ(error.path(), path);
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

TEST_F(VideoIOTest, UnreadableFilesThrowVideoIOErrorNamingTheFile) {
  const std::string missing = file("missing.mp4");
  expectVideoIOError(missing, [&] { readVideo(missing); });
  expectVideoIOError(missing, [&] { probeVideo(missing); });
  try {
    readVideo(missing);
  } catch (const VideoIOError& error) {
    EXPECT_NE(error.avError(), 0);
    EXPECT_NE(std::string(error.what()).find("No such file"), std::string::npos) << error.what();
  }

  const std::string text = file("notes.mp4");
  writeBytes(text, "This is not a video, just some text renamed to .mp4\n");
  expectVideoIOError(text, [&] { readVideo(text); });
  expectVideoIOError(text, [&] { probeVideo(text); });

  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& byte : noise) byte = static_cast<char>(random());
  const std::string garbage = file("noise.mp4");
  writeBytes(garbage, noise);
  expectVideoIOError(garbage, [&] { readVideo(garbage); });

  const std::string empty = file("empty");
  fs::create_directory(empty);
  expectVideoIOError(empty, [&] { readVideo(empty); });
}

TEST_F(VideoIOTest, TruncatedMp4ThrowsVideoIOError) {
  ASSERT_TRUE(haveFfprobe()) << "ffprobe (Debian package ffmpeg, installed by packaging/setup.sh) is needed";
  const std::string path = file("cut.mp4");
  writeVideo(path, makeClip(24, 64, 48));
  const std::string bytes = readBytes(path);
  // Where the 11th packet ends: ffprobe prints its position and size (their sum is the end).
  std::istringstream packets(runCommand("ffprobe -v error -show_entries packet=pos,size -of csv=p=0 '" + path + "'"));
  std::string line;
  for (int i = 0; i < 11; ++i) std::getline(packets, line);
  const size_t comma = line.find(',');
  ASSERT_NE(comma, std::string::npos) << line;
  const size_t boundary = std::stoul(line.substr(comma + 1)) + std::stoul(line.substr(0, comma));
  ASSERT_LT(boundary, bytes.size());
  // Cut inside the header, inside a packet or at a packet boundary (a clean end of file for
  // the demuxer): all must be errors.
  for (const size_t size : {size_t(200), bytes.size() / 2, bytes.size() * 3 / 4, boundary, bytes.size() - 1}) {
    writeBytes(path, bytes.substr(0, size));
    expectVideoIOError(path, [&] { readVideo(path); });
  }
}

TEST_F(VideoIOTest, BadWriteRequestsThrow) {
  expectVideoIOError(file("clip.avi"), [&] { writeVideo(file("clip.avi"), makeClip(2, 16, 16)); });
  expectVideoIOError(file("empty.mp4"), [&] { writeVideo(file("empty.mp4"), VideoClip{{}, 24.0}); });
  VideoClip mixed = makeClip(2, 16, 16);
  mixed.frames[1] = makeClip(1, 18, 16).frames[0];
  expectVideoIOError(file("mixed.mp4"), [&] { writeVideo(file("mixed.mp4"), mixed); });
  VideoClip short_ = makeClip(1, 16, 16);
  short_.frames[0].rgb.pop_back();
  expectVideoIOError(file("short.gif"), [&] { writeVideo(file("short.gif"), short_); });
  WriteOptions badPreset;
  badPreset.preset = "warp-speed";
  expectVideoIOError(file("p.mp4"), [&] { writeVideo(file("p.mp4"), makeClip(2, 16, 16), badPreset); });
  const std::string nowhere = file("no/such/folder/clip.mp4");
  expectVideoIOError(nowhere, [&] { writeVideo(nowhere, makeClip(2, 16, 16)); });
  EXPECT_TRUE(listing().empty());

  ReadOptions badRead;
  badRead.stride = 0;
  EXPECT_THROW(readVideo(file("x.mp4"), badRead), ConfigError);
}

}  // namespace
}  // namespace sm::video
