// Side-by-side clips: frames in a row at the first clip's height, the longest
// clip's length, a shorter clip holding its last frame.
#include <gtest/gtest.h>

#include "core/figures/side_by_side.h"

namespace sm::figures {
namespace {

video::VideoClip flat(int frames, int width, int height, uint8_t first) {
  video::VideoClip clip;
  clip.fps = 10;
  for (int i = 0; i < frames; ++i) {
    video::Frame f;
    f.width = width;
    f.height = height;
    f.rgb.assign(static_cast<size_t>(width) * height * 3, static_cast<uint8_t>(first + i));
    clip.frames.push_back(f);
  }
  return clip;
}

TEST(SideBySide, ClipsSitInARowAtTheFirstHeight) {
  const video::VideoClip out = sideBySide({flat(3, 8, 8, 10), flat(2, 32, 16, 100)}, 2);
  ASSERT_EQ(out.frames.size(), 3u);
  EXPECT_EQ(out.fps, 10);
  const video::Frame& f = out.frames[2];
  EXPECT_EQ(f.height, 8);
  EXPECT_EQ(f.width, 8 + 2 + 16);          // the second clip scaled to height 8 keeps its 2:1 shape
  EXPECT_EQ(f.rgb[0], 12);                 // first clip, frame 2
  EXPECT_EQ(f.rgb[(8 + 1) * 3], 24);       // the gap
  EXPECT_EQ(f.rgb[(8 + 2 + 5) * 3], 101);  // second clip held at its last frame
  EXPECT_THROW(sideBySide({}), std::invalid_argument);
  EXPECT_THROW(sideBySide({video::VideoClip{}}), std::invalid_argument);
}

}  // namespace
}  // namespace sm::figures
