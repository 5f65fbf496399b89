// Float video tensors <-> 8-bit frames.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/pipelines/video_tensor.h"

namespace sm::pipelines {
namespace {

TEST(VideoTensor, RoundsHalfToEvenAndClampsLikeDiffusers) {
  // 0.5/255 and 1.5/255 sit exactly between two levels: numpy rounds to even (0 and 2).
  torch::Tensor frames = torch::zeros({1, 3, 1, 4});
  frames[0][0][0][0] = 0.5 / 255.0;
  frames[0][0][0][1] = 1.5 / 255.0;
  frames[0][0][0][2] = -0.3;
  frames[0][0][0][3] = 1.7;
  const video::VideoClip clip = toVideoClip(frames, 12.0);
  ASSERT_EQ(clip.frames.size(), 1u);
  EXPECT_EQ(clip.fps, 12.0);
  EXPECT_EQ(clip.frames[0].width, 4);
  EXPECT_EQ(clip.frames[0].height, 1);
  const auto& rgb = clip.frames[0].rgb;
  EXPECT_EQ(rgb[0 * 3], 0);
  EXPECT_EQ(rgb[1 * 3], 2);
  EXPECT_EQ(rgb[2 * 3], 0);
  EXPECT_EQ(rgb[3 * 3], 255);
}

TEST(VideoTensor, RoundTripKeepsEveryPixelAndChannelOrder) {
  torch::manual_seed(3);
  const torch::Tensor bytes = torch::randint(0, 256, {3, 3, 5, 7}, torch::kInt64);
  const torch::Tensor frames = bytes.to(torch::kFloat32) / 255.0;
  const video::VideoClip clip = toVideoClip(frames, 8.0);
  ASSERT_EQ(clip.frames.size(), 3u);
  // Pixel (y=2, x=4) of frame 1, green channel.
  EXPECT_EQ(clip.frames[1].rgb[(2 * 7 + 4) * 3 + 1], bytes[1][1][2][4].item<int64_t>());
  const torch::Tensor back = fromVideoClip(clip);
  EXPECT_TRUE(torch::equal((back * 255).round().to(torch::kInt64), bytes));
}

}  // namespace
}  // namespace sm::pipelines
