// Frozen datasets from the tiny models, from images and from videos: what is
// cached, that it loads back as frozen videos, and that a seed remakes it.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/datasets/dataset_folder.h"
#include "core/datasets/dataset_jobs.h"
#include "core/datasets/latent_video_dataset.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"
#include "tests/datasets/dataset_test_util.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;
using datasets::DatasetSource;
using datasets::FrozenDatasetSettings;
using datasets::LatentVideoDataset;

video::VideoClip readAll(const std::string& path) { return video::readVideo(path); }

// The tiny VAE's posterior mean of `frames` [F, 3, H, W] in [0, 1], times the scaling factor.
torch::Tensor referenceLatents(const torch::Tensor& frames) {
  static models::AutoencoderKL vae =
      models::loadAutoencoderKLFromFolder(test::fixture("sd15_tiny_diffusers/vae"), torch::kCPU, torch::kFloat32);
  torch::NoGradGuard noGrad;
  return vae->encodeMean(frames * 2 - 1) * vae->config().scaling_factor;  // [F, 4, h, w]
}

FrozenDatasetSettings modelSettings(const std::string& out) {
  auto s = test::tinySettings<FrozenDatasetSettings>(out);
  s.source = DatasetSource::Model;
  s.prompts = {"a photo of sks dog", "sks dog on the beach"};
  s.samplesPerPrompt = 2;
  return s;
}

TEST(FrozenDataset, FromTheModelCachesOneFramePerSampleThatLoadsAsAFrozenVideo) {
  test::TempDir temp("sm_frozen_model");
  const std::string out = temp.file("ds");
  const datasets::DatasetSummary summary = datasets::buildFrozenDataset(modelSettings(out), jobs::silentJob());
  EXPECT_EQ(summary.samples, 4);
  EXPECT_EQ(summary.skipped, 0);

  const LatentVideoDataset dataset = LatentVideoDataset::open(out);
  ASSERT_EQ(dataset.size(), 4u);
  EXPECT_EQ(dataset.kind(), datasets::DatasetKind::Frozen);
  EXPECT_EQ(dataset.frames(), 4);
  EXPECT_EQ(dataset.width(), 64);
  EXPECT_EQ(dataset.manifest().source, DatasetSource::Model);
  const std::vector<std::string> prompts = {"a photo of sks dog", "a photo of sks dog", "sks dog on the beach",
                                            "sks dog on the beach"};
  for (size_t i = 0; i < 4; ++i) {
    const LatentVideoDataset::Sample sample = dataset.sample(i, 6);
    EXPECT_EQ(sample.prompt, prompts[i]);
    ASSERT_EQ(sample.latents.sizes(), torch::IntArrayRef({4, 6, 8, 8}));
    EXPECT_EQ(sample.latents.dtype(), torch::kFloat32);
    for (int f = 1; f < 6; ++f) EXPECT_TRUE(torch::equal(sample.latents.select(1, f), sample.latents.select(1, 0)));
    EXPECT_EQ(dataset.manifest().samples[i].seed, 7 + i);
    EXPECT_TRUE(fs::exists(fs::path(out) / "images" / (datasets::sampleKey(i) + ".png")));
  }
  // One seed per sample: different samples, different images.
  EXPECT_FALSE(torch::allclose(dataset.sample(0, 1).latents, dataset.sample(1, 1).latents));

  // The cached latents are those of the image the dataset shows.
  const video::VideoClip image = readAll(out + "/images/0002.png");
  ASSERT_EQ(image.frames.size(), 1u);
  EXPECT_EQ(image.frames[0].width, 64);
  const torch::Tensor expected = referenceLatents(pipelines::fromVideoClip(image))[0];
  EXPECT_TRUE(torch::allclose(dataset.sample(2, 1).latents.select(1, 0), expected, 1e-4, 1e-5));

  // Previews: a contact sheet and one MP4 of F identical frames per sample.
  const video::VideoClip sheet = readAll(out + "/preview.png");
  ASSERT_EQ(sheet.frames.size(), 1u);
  EXPECT_GE(sheet.frames[0].width, 2 * 64);
  const video::VideoClip preview = readAll(out + "/previews/sample-0003.mp4");
  ASSERT_EQ(preview.frames.size(), 4u);
  EXPECT_EQ(preview.frames[0].width, 64);
  EXPECT_EQ(preview.frames[0].height, 64);

  // The same settings make the same dataset.
  const std::string again = temp.file("again");
  datasets::buildFrozenDataset(modelSettings(again), jobs::silentJob());
  const LatentVideoDataset second = LatentVideoDataset::open(again);
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(torch::equal(second.sample(i, 1).latents, dataset.sample(i, 1).latents));
  EXPECT_EQ(test::readFile(again + "/images/0001.png"), test::readFile(out + "/images/0001.png"));
}

TEST(FrozenDataset, FromImagesEncodesTheCentreCropAndReadsSidecarCaptions) {
  test::TempDir temp("sm_frozen_images");
  const fs::path images = temp.path() / "images";
  fs::create_directories(images);
  const video::Frame square = test::patternFrame(64, 64);
  const video::Frame wide = test::patternFrame(96, 64);
  datasets::writePng((images / "a.png").string(), square);
  datasets::writePng((images / "b.png").string(), wide);
  temp.write("images/b.txt", "  sks dog, close-up \n");
  temp.write("images/c.png", "this is not a PNG");
  temp.write("images/notes.md", "ignored: not an image");

  auto s = test::tinySettings<FrozenDatasetSettings>(temp.file("ds"));
  s.source = DatasetSource::Images;
  s.inputFolder = images.string();
  s.caption = "a photo of sks dog";
  test::RecordingJob recording;
  const datasets::DatasetSummary summary = datasets::buildFrozenDataset(s, recording.job);
  EXPECT_EQ(summary.samples, 2);
  EXPECT_EQ(summary.skipped, 1);
  EXPECT_TRUE(recording.warned("c.png")) << "the unreadable image is named";

  const LatentVideoDataset dataset = LatentVideoDataset::open(s.out);
  ASSERT_EQ(dataset.size(), 2u);
  EXPECT_EQ(dataset.sample(0, 1).prompt, "a photo of sks dog");
  EXPECT_EQ(dataset.sample(1, 1).prompt, "sks dog, close-up");
  EXPECT_EQ(dataset.manifest().samples[1].file, (images / "b.png").string());

  // a.png needs no resize: its latents are the VAE mean of the very pixels.
  video::VideoClip clip;
  clip.frames = {square};
  const torch::Tensor expected = referenceLatents(pipelines::fromVideoClip(clip))[0];
  EXPECT_TRUE(torch::allclose(dataset.sample(0, 1).latents.select(1, 0), expected, 1e-4, 1e-5));

  // b.png (96 x 64) is centre-cropped to 64 x 64: columns 16 … 79.
  const video::VideoClip cropped = readAll(s.out + "/images/0001.png");
  ASSERT_EQ(cropped.frames.size(), 1u);
  ASSERT_EQ(cropped.frames[0].width, 64);
  ASSERT_EQ(cropped.frames[0].height, 64);
  int worst = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      for (int c = 0; c < 3; ++c)
        worst = std::max(worst, std::abs(static_cast<int>(cropped.frames[0].rgb[(y * 64 + x) * 3 + c]) -
                                         static_cast<int>(wide.rgb[(y * 96 + x + 16) * 3 + c])));
  EXPECT_LE(worst, 2);
  const torch::Tensor expectedB = referenceLatents(pipelines::fromVideoClip(cropped))[0];
  EXPECT_TRUE(torch::allclose(dataset.sample(1, 1).latents.select(1, 0), expectedB, 1e-4, 1e-5));
}

TEST(FrozenDataset, FromVideosTakesSeededRandomFrames) {
  test::TempDir temp("sm_frozen_videos");
  const fs::path videos = temp.path() / "videos";
  fs::create_directories(videos);
  test::writeGreyVideo((videos / "walk.mp4").string(), 10, 64, 64);
  temp.write("videos/broken.mp4", "not a video at all");

  auto s = test::tinySettings<FrozenDatasetSettings>(temp.file("ds"));
  s.source = DatasetSource::Videos;
  s.inputFolder = videos.string();
  s.framesPerVideo = 3;
  test::RecordingJob recording;
  const datasets::DatasetSummary summary = datasets::buildFrozenDataset(s, recording.job);
  EXPECT_EQ(summary.samples, 3);
  EXPECT_EQ(summary.skipped, 1);
  EXPECT_TRUE(recording.warned("broken.mp4"));

  const LatentVideoDataset dataset = LatentVideoDataset::open(s.out);
  ASSERT_EQ(dataset.size(), 3u);
  std::vector<int64_t> frames;
  for (size_t i = 0; i < 3; ++i) {
    const datasets::DatasetSample& sample = dataset.manifest().samples[i];
    EXPECT_EQ(sample.file, (videos / "walk.mp4").string());
    ASSERT_GE(sample.frame, 0);
    ASSERT_LT(sample.frame, 10);
    frames.push_back(sample.frame);
    // The cached image is that frame: its grey level says which.
    const video::VideoClip image = readAll(s.out + "/images/" + datasets::sampleKey(i) + ".png");
    EXPECT_NEAR(test::meanLevel(image.frames[0]), 20 + 20 * sample.frame, 4) << "sample " << i;
  }
  EXPECT_TRUE(frames[0] < frames[1] && frames[1] < frames[2]) << "three distinct frames, in order";

  s.out = temp.file("again");
  datasets::buildFrozenDataset(s, jobs::silentJob());
  const LatentVideoDataset again = LatentVideoDataset::open(s.out);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(again.manifest().samples[i].frame, frames[i]);
}

TEST(FrozenDataset, GeneratedByTheBaseT2VPicksOneFrameOfEachVideo) {
  test::TempDir temp("sm_frozen_generated");
  auto s = test::tinySettings<FrozenDatasetSettings>(temp.file("ds"));
  s.source = DatasetSource::Generated;
  s.prompts = {"a dog running"};
  s.samplesPerPrompt = 2;
  const datasets::DatasetSummary summary = datasets::buildFrozenDataset(s, jobs::silentJob());
  EXPECT_EQ(summary.samples, 2);
  const LatentVideoDataset dataset = LatentVideoDataset::open(s.out);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GE(dataset.manifest().samples[i].frame, 0);
    EXPECT_LT(dataset.manifest().samples[i].frame, 4);
    EXPECT_EQ(dataset.manifest().samples[i].seed, 7 + i);
    EXPECT_EQ(dataset.sample(i, 4).latents.sizes(), torch::IntArrayRef({4, 4, 8, 8}));
  }
  // Customizing the base would defeat the point: refused before anything loads.
  s.models.custom = s.models.base;
  s.out = temp.file("custom");
  EXPECT_THROW(datasets::buildFrozenDataset(s, jobs::silentJob()), ConfigError);
  EXPECT_FALSE(fs::exists(s.out));
}

}  // namespace
}  // namespace sm
