// The shipped toy world (resources/toyworld): every model loads through the
// normal loaders, the base in both layouts makes the same video, every
// customization and adapter changes it, the evaluator recognises the world's
// own drawings, and the whole stays within its 30 MB.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/pipelines/model_cache.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/figures.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/world_batches.h"
#include "core/worker/jobs.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

ToyModelFiles shipped() { return ToyModelFiles{fs::path(SM_SOURCE_DIR) / "resources" / "toyworld"}; }

worker::GenerateJob fourStepJob(const fs::path& base) {
  worker::GenerateJob job = toyGenerateJob(shipped(), "a blue square bouncing on a white background", 11, 8);
  job.models.base = base.string();
  job.request.steps = 4;
  return job;
}

double meanAbsDifference(const video::VideoClip& a, const video::VideoClip& b) {
  return (clipToTensor(a) - clipToTensor(b)).abs().mean().item<double>();
}

TEST(ShippedToyWorld, HasEveryModelACardAndStaysWithin30MB) {
  const ToyModelFiles f = shipped();
  ASSERT_TRUE(f.hasBase()) << f.root << ": run `stillmoving world train` and copy its models/ there";
  for (const fs::path& p : {f.baseSingleFile(), f.object(), f.styleLora(), f.motionAdapter(), f.objectSpatialAdapters(),
                            f.styleSpatialAdapters(), f.evaluator(), f.root / "README.md"})
    EXPECT_TRUE(fs::is_regular_file(p)) << p;
  for (const char* card : {"vae", "t2i", "motion_module", "evaluator", "toy_object", "sks_style_lora", "motion_adapter",
                           "spatial_adapters_object", "spatial_adapters_style"}) {
    EXPECT_TRUE(fs::is_regular_file(f.root / "cards" / (std::string(card) + ".md"))) << card;
    EXPECT_TRUE(fs::is_regular_file(f.root / "cards" / (std::string(card) + "_loss.png"))) << card;
  }
  uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(f.root))
    if (entry.is_regular_file()) bytes += entry.file_size();
  EXPECT_LE(bytes, 30u * 1000 * 1000);
}

TEST(ShippedToyWorld, BaseGeneratesTheSameVideoInBothLayoutsAndEveryCustomizationChangesIt) {
  const ToyModelFiles f = shipped();
  ASSERT_TRUE(f.hasBase());
  pipelines::ModelCache cache("cpu");
  const auto run = [&](const worker::GenerateJob& job) {
    return worker::runGenerate(cache, job, jobs::silentJob()).clips.front();
  };
  const video::VideoClip diffusers = run(fourStepJob(f.base()));
  const video::VideoClip ldm = run(fourStepJob(f.baseSingleFile()));
  ASSERT_EQ(diffusers.frames.size(), 8u);
  EXPECT_EQ(diffusers.frames[5].rgb, ldm.frames[5].rgb);
  // Trained weights draw a picture, not a flat field.
  EXPECT_GT(clipToTensor(diffusers).std().item<double>(), 0.05);

  worker::GenerateJob object = fourStepJob(f.base());
  object.models.custom = f.object().string();
  EXPECT_GT(meanAbsDifference(run(object), diffusers), 1e-3);
  worker::GenerateJob still = object;
  still.models.spatialAdapters = f.objectSpatialAdapters().string();
  still.models.motionAdapter = f.motionAdapter().string();
  still.request.motionScale = 1.0;
  EXPECT_GT(meanAbsDifference(run(still), run(object)), 1e-3);

  worker::GenerateJob style = fourStepJob(f.base());
  style.models.loras = {{f.styleLora().string(), 1.0f}};
  const video::VideoClip styled = run(style);
  EXPECT_GT(meanAbsDifference(styled, diffusers), 1e-3);
  style.models.spatialAdapters = f.styleSpatialAdapters().string();
  EXPECT_GT(meanAbsDifference(run(style), styled), 1e-3);
}

TEST(ShippedToyWorld, EvaluatorRecognisesTheWorldsOwnDrawings) {
  Evaluator evaluator = loadEvaluator(shipped().evaluator());
  int right = 0;
  const int count = 24;
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, 500 + static_cast<uint64_t>(i));
    std::vector<std::string> options;
    for (int c = 0; c < world::kColors; ++c) {
      world::Scene s = scene;
      s.color = static_cast<world::Color>(c);
      options.push_back(world::caption(s, false));
    }
    const torch::Tensor image = evaluator.images(frameToTensor(world::drawImage(scene, 0.5, 64)).unsqueeze(0));
    right += image[0].matmul(evaluator.texts(options).t()).argmax().item<int64_t>() == static_cast<int>(scene.color);
  }
  EXPECT_GE(right, count * 3 / 4) << right << " of " << count << " colours named";
}

}  // namespace
}  // namespace sm::toyworld
