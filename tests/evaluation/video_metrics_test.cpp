// The comparison's measures on inputs whose answers are known: a static video
// does not move, identical frames are perfectly consistent, a translation's
// flow is its shift, and CLIP-T / CLIP-I are the cosines they claim to be.
#include "core/evaluation/video_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/evaluation/embedder.h"
#include "core/evaluation/video_evaluation.h"
#include "core/jobs/job.h"
#include "core/util/error.h"

namespace sm::evaluation {
namespace {

const std::string kClip = std::string(SM_TEST_DATA_DIR) + "/clip/clip_model_tiny";

/// A smooth random texture (blurred noise), so optical flow has something to follow everywhere.
cv::Mat texture(int size, uint64_t seed) {
  cv::Mat noise(size, size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 255);
  cv::Mat smooth;
  cv::GaussianBlur(noise, smooth, cv::Size(0, 0), 3.0);
  cv::normalize(smooth, smooth, 0, 255, cv::NORM_MINMAX);
  return smooth;
}

video::Frame frameOf(const cv::Mat& m) {
  video::Frame f;
  f.width = m.cols;
  f.height = m.rows;
  f.rgb.assign(m.data, m.data + m.total() * 3);
  return f;
}

/// `frames` frames of the texture shifted right by `shift` pixels per frame (reflected at the border).
video::VideoClip translation(int frames, double shift, int size = 256) {
  const cv::Mat big = texture(size, 5);
  video::VideoClip clip;
  clip.fps = 8;
  for (int i = 0; i < frames; ++i) {
    cv::Mat moved;
    const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, shift * i, 0, 1, 0);
    cv::warpAffine(big, moved, m, big.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    clip.frames.push_back(frameOf(moved));
  }
  return clip;
}

TEST(VideoMetrics, AStaticVideoDoesNotMove) {
  video::VideoClip clip;
  for (int i = 0; i < 6; ++i) clip.frames.push_back(frameOf(texture(96, 9)));
  VideoScores s;
  measureMotion(clip, s);
  EXPECT_EQ(s.frames, 6);
  EXPECT_LT(s.motion, 1e-3);
  EXPECT_EQ(s.dynamicDegree, 0.0);
}

TEST(VideoMetrics, ATranslationsFlowIsItsShift) {
  // Tolerance 10%: Farnebäck is exact in the interior; the reflected border
  // (a few pixels of 256) moves otherwise.
  for (double shift : {2.0, 8.0}) {
    VideoScores s;
    measureMotion(translation(5, shift), s);
    EXPECT_NEAR(s.motion, shift, 0.1 * shift) << shift;
    EXPECT_EQ(s.dynamicDegree, shift > kDynamicThreshold ? 1.0 : 0.0) << shift;
  }
  // Measured at 256x256 whatever the video's size: the same motion at half the size
  // (a 2-pixel shift at 128) measures the same 4 pixels.
  video::VideoClip half = translation(5, 4.0);
  for (video::Frame& f : half.frames) {
    cv::Mat small;
    cv::resize(cv::Mat(f.height, f.width, CV_8UC3, f.rgb.data()), small, cv::Size(128, 128), 0, 0, cv::INTER_AREA);
    f = frameOf(small);
  }
  VideoScores small;
  measureMotion(half, small);
  EXPECT_NEAR(small.motion, 4.0, 0.4);
}

TEST(VideoMetrics, IdenticalFramesAreConsistentAndCosinesAreCosines) {
  std::unique_ptr<Embedder> clip = openEmbedder(kClip);
  const video::Frame a = frameOf(texture(48, 1)), b = frameOf(texture(48, 2));
  video::VideoClip still;
  still.frames = {a, a, a};
  const torch::Tensor prompt = clip->texts({"a red star"});
  const torch::Tensor references = clip->images({a, b});
  const VideoScores s = scoreVideo(still, *clip, prompt, references);
  EXPECT_NEAR(s.consistency, 1.0, 1e-5);
  const torch::Tensor frame = clip->images({a});
  EXPECT_NEAR(*s.clipT, frame.matmul(prompt.t()).item<double>(), 1e-5);
  // CLIP-I: the mean over both references; the frame is one of them (cosine 1).
  EXPECT_NEAR(*s.clipI, (1.0 + frame.matmul(clip->images({b}).t()).item<double>()) / 2, 1e-5);

  video::VideoClip changing;
  changing.frames = {a, b, a};
  EXPECT_LT(scoreVideo(changing, *clip, {}, {}).consistency, 0.999);
  EXPECT_FALSE(scoreVideo(changing, *clip, {}, {}).clipT.has_value());
}

TEST(VideoMetrics, AggregateIsMeanAndStandardError) {
  const Aggregate a = aggregate({1.0, 2.0, 3.0});
  EXPECT_EQ(a.count, 3);
  EXPECT_DOUBLE_EQ(a.mean, 2.0);
  EXPECT_NEAR(a.standardError, 1.0 / std::sqrt(3.0), 1e-12);
  EXPECT_EQ(aggregate({4.0}).standardError, 0.0);
  EXPECT_EQ(aggregate({}).count, 0);
}

TEST(VideoEvaluation, RefusesMissingVideosAndEvaluatorsNamingThem) {
  EvaluationRequest r;
  r.videos = {"/nonexistent/video.mp4"};
  r.evaluator = kClip;
  try {
    evaluateVideos(r, jobs::silentJob());
    FAIL();
  } catch (const InputError& e) {  // missing inputs: exit status 3
    EXPECT_NE(std::string(e.what()).find("/nonexistent/video.mp4"), std::string::npos);
  }
  EXPECT_THROW(openEmbedder("/nonexistent/clip"), InputError);
}

}  // namespace
}  // namespace sm::evaluation
