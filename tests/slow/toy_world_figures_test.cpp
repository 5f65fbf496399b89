// Slow (about a minute on 2 cores): the shipped base T2I draws what its
// prompt names, as the evaluator sees it, on a sample of the test split: the
// base T2I figure of the toy world's model card, on fewer prompts.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/pipelines/model_cache.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/figures.h"
#include "core/toyworld/toy_model_files.h"

namespace sm::toyworld {
namespace {

constexpr double kThreshold = 0.5;

TEST(ToyWorldFigures, BaseTextToImageDrawsThePromptsShapeAndColour) {
  const ToyModelFiles files{std::filesystem::path(SM_SOURCE_DIR) / "resources" / "toyworld"};
  ASSERT_TRUE(files.hasBase()) << files.root;
  Evaluator evaluator = loadEvaluator(files.evaluator());
  pipelines::ModelCache cache("cpu");
  const nlohmann::json figure = measureBaseTextToImage(files, cache, evaluator, 24, jobs::silentJob());
  // Chance is 1/48. The threshold sits below the 64-prompt figure of the model
  // card, leaving room for the smaller sample.
  EXPECT_GE(figure.at("shape_and_color_recognised").get<double>(), kThreshold) << figure.dump();
}

}  // namespace
}  // namespace sm::toyworld
