// The memory estimate before a job: sizes that grow with the settings that drive
// them, refusals that name what to lower, and --force.
#include "core/worker/memory_estimates.h"

#include <gtest/gtest.h>

#include <string>

#include "core/util/error.h"

namespace sm::worker {
namespace {

const std::string kBase = std::string(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_diffusers";

datasets::FrozenDatasetSettings frozen(int frames, int side) {
  datasets::FrozenDatasetSettings s;
  s.out = "/tmp/unused";
  s.models.base = kBase;
  s.prompts = {"a photo"};
  s.frames = frames;
  s.width = s.height = side;
  return s;
}

TEST(MemoryEstimates, GrowWithTheSettingsThatDriveThem) {
  const double small = estimateFrozenDataset(frozen(16, 64)).total();
  EXPECT_LT(small, 1e9);  // the tiny model at 64x64: well under a gigabyte
  EXPECT_GT(estimateFrozenDataset(frozen(64, 64)).total(), small);
  EXPECT_GT(estimateFrozenDataset(frozen(16, 512)).total(), small);
  // The request: 4096 frames of 4096x4096 is terabytes, most of it the preview.
  const util::MemoryEstimate huge = estimateFrozenDataset(frozen(4096, 4096));
  EXPECT_GT(huge.total(), 1e11);
  EXPECT_NE(huge.largest().lower.find("--frames"), std::string::npos) << huge.largest().what;

  GenerateJob job;
  job.models.base = kBase;
  job.request.frames = 16;
  job.request.width = job.request.height = 512;
  const util::MemoryEstimate e = estimateGeneration(job);
  EXPECT_LT(e.ram(true), e.ram(false));  // on a GPU only the decoded frames stay in RAM
  EXPECT_GT(e.gpu(), 1e9);               // SD 1.5 sizes at 512x512: gigabytes of activations
  EXPECT_DOUBLE_EQ(e.ram(true) + e.gpu(), e.total());
  job.request.numVideos = 4;
  EXPECT_GT(estimateGeneration(job).total(), e.total());
  // The model's files count once, the largest variant of each component.
  EXPECT_GT(e.terms[0].bytes, 1e3);
}

TEST(MemoryEstimates, ControlNetsAddTheirWeightsResidualsAndVideos) {
  GenerateJob job;
  job.models.base = kBase;
  job.request.frames = 16;
  job.request.width = job.request.height = 512;
  const util::MemoryEstimate plain = estimateGeneration(job);
  control::ControlNetUnit unit;
  unit.controlNet = std::string(SM_TEST_DATA_DIR) + "/fixtures/controlnet_tiny_diffusers";
  unit.video = "drive.mp4";
  job.controlNets = {unit};
  const util::MemoryEstimate one = estimateGeneration(job);
  // The ControlNet's file joins the weights; residuals and condition frames are terms of their own.
  EXPECT_GT(one.terms[0].bytes, plain.terms[0].bytes);
  EXPECT_EQ(one.terms.size(), plain.terms.size() + 2);
  job.controlNets.push_back(unit);
  EXPECT_GT(estimateGeneration(job).total(), one.total());
}

TEST(MemoryBudget, RefusesNamingTheLargestPartUnlessForced) {
  util::MemoryEstimate e;
  e.add("the model weights", 2e9, "the model's size");
  e.add("the decoded video", 30e9, "--frames or --videos");
  try {
    util::requireMemory(e, "this generation", 16'000'000'000ULL, false);
    FAIL() << "32 GB fitted in 16";
  } catch (const OutOfMemoryError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("this generation needs about 32.0 GB"), std::string::npos) << message;
    EXPECT_NE(message.find("16.0 GB is free"), std::string::npos) << message;
    EXPECT_NE(message.find("the decoded video (30.0 GB): lower --frames or --videos"), std::string::npos) << message;
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
  }
  EXPECT_NO_THROW(util::requireMemory(e, "this generation", 16'000'000'000ULL, true));  // --force
  EXPECT_NO_THROW(util::requireMemory(e, "this generation", 0, false));  // free memory unknown: never refused
  EXPECT_NO_THROW(util::requireMemory(e, "this generation", 40'000'000'000ULL, false));
  // The margin: 32 GB of 36 free is more than 85%.
  EXPECT_THROW(util::requireMemory(e, "this generation", 36'000'000'000ULL, false), OutOfMemoryError);
  EXPECT_GT(util::availableMemoryBytes(), 0u);  // /proc/meminfo is read

  // The models on a GPU: their terms are held to the GPU's free memory, the rest to RAM.
  util::MemoryEstimate split;
  split.add("the UNet's activations", 10e9, "--frames", /*onComputeDevice=*/true);
  split.add("the decoded video", 1e9, "--videos");
  EXPECT_NO_THROW(util::requireMemory(split, "this generation",
                                      util::FreeMemory{4'000'000'000ULL, true, 20'000'000'000ULL},
                                      false));  // 1 GB of 4 in RAM, 10 of 20 on the GPU
  try {
    util::requireMemory(split, "this generation", util::FreeMemory{64'000'000'000ULL, true, 8'000'000'000ULL}, false);
    FAIL() << "10 GB fitted in a GPU with 8 free";
  } catch (const OutOfMemoryError& error) {
    EXPECT_NE(std::string(error.what()).find("of GPU memory"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("the UNet's activations"), std::string::npos) << error.what();
  }
  // Unknown GPU memory is never refused (CUDA's own out-of-memory stays a clean message).
  EXPECT_NO_THROW(util::requireMemory(split, "this generation", util::FreeMemory{64'000'000'000ULL, true, 0}, false));
}

}  // namespace
}  // namespace sm::worker
