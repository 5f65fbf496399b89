// The ControlNet preprocessors on frames whose answer is known: a bright square
// on black has Canny edges on its border only, gray is the BT.601 luminance,
// raw is the frame, soft edges are dark on flat areas and bright on the border.
#include <gtest/gtest.h>

#include "core/control/edge_agreement.h"
#include "core/control/preprocessors.h"

namespace sm::control {
namespace {

video::Frame squareFrame(int size, int from, int to, uint8_t r, uint8_t g, uint8_t b) {
  video::Frame f;
  f.width = f.height = size;
  f.rgb.assign(static_cast<size_t>(size) * size * 3, 0);
  for (int y = from; y < to; ++y)
    for (int x = from; x < to; ++x) {
      uint8_t* p = &f.rgb[(static_cast<size_t>(y) * size + x) * 3];
      p[0] = r;
      p[1] = g;
      p[2] = b;
    }
  return f;
}

uint8_t at(const video::Frame& f, int x, int y, int c = 0) {
  return f.rgb[(static_cast<size_t>(y) * f.width + x) * 3 + c];
}

TEST(Preprocessors, CannyFindsTheSquaresBorderAndNothingElse) {
  const video::Frame frame = squareFrame(64, 16, 48, 250, 200, 100);
  const video::Frame edges = preprocessFrame(frame, {ControlType::Canny, 100, 200});
  ASSERT_EQ(edges.width, 64);
  int onBorder = 0, elsewhere = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const uint8_t v = at(edges, x, y);
      EXPECT_TRUE(v == 0 || v == 255);
      EXPECT_EQ(v, at(edges, x, y, 1));
      EXPECT_EQ(v, at(edges, x, y, 2));
      const bool nearBorder =
          (std::abs(x - 16) <= 1 || std::abs(x - 47) <= 1 || std::abs(y - 16) <= 1 || std::abs(y - 47) <= 1) &&
          x >= 14 && x <= 49 && y >= 14 && y <= 49;
      (nearBorder ? onBorder : elsewhere) += v == 255;
    }
  EXPECT_GT(onBorder, 4 * 28);  // the four sides
  EXPECT_EQ(elsewhere, 0);
  // Thresholds above the square's gradient find nothing.
  const video::Frame none = preprocessFrame(squareFrame(64, 16, 48, 20, 20, 20), {ControlType::Canny, 900, 1000});
  for (uint8_t v : none.rgb) ASSERT_EQ(v, 0);
}

TEST(Preprocessors, GrayIsTheLuminanceAndRawIsTheFrame) {
  const video::Frame frame = squareFrame(8, 0, 8, 200, 100, 50);
  const video::Frame gray = preprocessFrame(frame, {ControlType::Gray});
  const double luma = 0.299 * 200 + 0.587 * 100 + 0.114 * 50;
  EXPECT_NEAR(at(gray, 3, 3), luma, 1.0);
  EXPECT_EQ(at(gray, 3, 3, 1), at(gray, 3, 3, 0));
  EXPECT_EQ(preprocessFrame(frame, {ControlType::Raw}).rgb, frame.rgb);
}

TEST(Preprocessors, SoftEdgesAreDarkOnFlatAreasAndBrightOnTheBorder) {
  const video::Frame soft = preprocessFrame(squareFrame(64, 16, 48, 255, 255, 255), {ControlType::SoftEdge});
  EXPECT_EQ(at(soft, 2, 2), 0);      // flat black
  EXPECT_EQ(at(soft, 32, 32), 0);    // flat white
  EXPECT_GT(at(soft, 16, 32), 200);  // on the left side
  EXPECT_GT(at(soft, 18, 32), 20);   // soft: the edge has a falloff
  EXPECT_LT(at(soft, 18, 32), at(soft, 16, 32));
}

TEST(Preprocessors, AClipKeepsItsFrameRateAndFrameCount) {
  video::VideoClip clip;
  clip.fps = 12;
  clip.frames = {squareFrame(16, 4, 12, 255, 0, 0), squareFrame(16, 2, 14, 0, 255, 0)};
  const video::VideoClip out = preprocessClip(clip, {ControlType::Canny, 50, 100});
  EXPECT_EQ(out.fps, 12);
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_NE(out.frames[0].rgb, out.frames[1].rgb);
}

}  // namespace
}  // namespace sm::control

namespace sm::control {
namespace {

TEST(EdgeAgreement, IsOneForTheSameStructureAndLowForAnother) {
  video::VideoClip square, same, shifted;
  square.frames = {preprocessFrame(squareFrame(64, 16, 48, 255, 255, 255), {})};
  same.frames = {squareFrame(64, 16, 48, 200, 50, 50)};     // another colour, the same edges
  shifted.frames = {squareFrame(64, 30, 60, 200, 50, 50)};  // the square elsewhere
  EXPECT_NEAR(edgeAgreement(square, same), 1.0, 0.05);
  EXPECT_LT(edgeAgreement(square, shifted), 0.3);
  EXPECT_THROW(edgeAgreement(square, video::VideoClip{}), std::invalid_argument);
}

}  // namespace
}  // namespace sm::control
