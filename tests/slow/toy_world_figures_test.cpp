// Slow (about a minute on 2 cores): the shipped base T2I draws what its prompt
// names, as the evaluator sees it, on a sample of the test split (the base T2I
// figure of the toy world's model card, on fewer prompts).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/pipelines/model_cache.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/figures.h"
#include "core/toyworld/toy_model_files.h"

namespace sm::toyworld {
namespace {

/// The shipped T2I names colours well and shapes poorly (model card: colour 0.86,
/// shape and colour 0.22 of 64 prompts; the card's target of 0.8 for both is
/// missed). The thresholds sit below those figures, leaving room for the
/// smaller sample, and far above chance (1/8 for the colour, 1/48 for both).
constexpr double kColourThreshold = 0.6;
constexpr double kShapeAndColourThreshold = 0.1;

TEST(ToyWorldFigures, BaseTextToImageDrawsThePromptsColourAndSometimesItsShape) {
  const ToyModelFiles files{std::filesystem::path(SM_SOURCE_DIR) / "resources" / "toyworld"};
  ASSERT_TRUE(files.hasBase()) << files.root;
  Evaluator evaluator = loadEvaluator(files.evaluator());
  pipelines::ModelCache cache("cpu");
  const nlohmann::json figure = measureBaseTextToImage(files, cache, evaluator, 24, jobs::silentJob());
  EXPECT_GE(figure.at("color_recognised").get<double>(), kColourThreshold) << figure.dump();
  EXPECT_GE(figure.at("shape_and_color_recognised").get<double>(), kShapeAndColourThreshold) << figure.dump();
}

}  // namespace
}  // namespace sm::toyworld
