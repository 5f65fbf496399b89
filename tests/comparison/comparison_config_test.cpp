// The comparison's config: defaults that run everything, a JSON file that names
// only what it changes, and every mistake refused with the key named.
#include <gtest/gtest.h>

#include <fstream>

#include "core/comparison/comparison_config.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"

namespace sm::comparison {
namespace {

using nlohmann::json;
using toyworld::CustomizationKind;

std::string errorOf(const json& j) {
  try {
    ComparisonConfig::fromJson(j, "cfg.json", "/base");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ComparisonConfig, DefaultsRunEveryMethodOnBothCustomizationsWithWorldPrompts) {
  const ComparisonConfig c = ComparisonConfig::defaults();
  ASSERT_EQ(c.customizations.size(), 2u);
  EXPECT_EQ(c.methods.size(), methodTable().size());
  EXPECT_EQ(c.motionScales, (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  for (const auto& plan : c.customizations) {
    ASSERT_EQ(plan.prompts.size(), 3u);
    for (const auto& p : plan.prompts) {
      EXPECT_NE(p.prompt.find(plan.kind == CustomizationKind::Object ? "sks toy" : "in sks style"), std::string::npos)
          << p.prompt;
      // The evaluation prompt is the caption without its motion: shorter, and contained word by word.
      EXPECT_LT(p.evaluationPrompt.size(), p.prompt.size());
      EXPECT_NE(p.evaluationPrompt.find(" on a "), std::string::npos);
    }
  }
  // Seeded: the same prompts every time, different ones per customization.
  EXPECT_EQ(defaultPrompts(CustomizationKind::Object, 3)[1].prompt, c.customizations[0].prompts[1].prompt);
}

TEST(ComparisonConfig, ReadsWhatTheFileChangesAndResolvesPathsFromItsFolder) {
  const json j = {
      {"customizations", {"style"}},
      {"methods", {"still_moving", "base"}},
      {"prompts",
       {{"style",
         {"a red star bouncing on a gray background in sks style", {{"prompt", "p2"}, {"evaluation_prompt", "e2"}}}}}},
      {"seeds", {7}},
      {"motion_scales", {1, -1}},
      {"frames", 8},
      {"train_steps", 3},
      {"models", "world/models"},
      {"notes", "/abs/notes.md"}};
  const ComparisonConfig c = ComparisonConfig::fromJson(j, "cfg.json", "/base");
  ASSERT_EQ(c.customizations.size(), 1u);
  EXPECT_EQ(c.customizations[0].kind, CustomizationKind::Style);
  ASSERT_EQ(c.customizations[0].prompts.size(), 2u);
  EXPECT_EQ(c.customizations[0].prompts[0].evaluationPrompt, c.customizations[0].prompts[0].prompt);
  EXPECT_EQ(c.customizations[0].prompts[1].evaluationPrompt, "e2");
  // The paper's order, whatever the file's.
  EXPECT_EQ(c.methods, (std::vector<Method>{Method::Base, Method::StillMoving}));
  EXPECT_EQ(c.seeds, (std::vector<uint64_t>{7}));
  EXPECT_EQ(c.motionScales, (std::vector<double>{-1, 0, 1})) << "sorted, a = 0 added";
  EXPECT_EQ(c.frames, 8);
  EXPECT_EQ(c.trainSteps, 3);
  EXPECT_EQ(c.models, std::filesystem::path("/base/world/models"));
  EXPECT_EQ(c.notes, std::filesystem::path("/abs/notes.md"));
  // toJson carries what decides the videos; read back it is the same config.
  const ComparisonConfig again = ComparisonConfig::fromJson(c.toJson(), "again", "/");
  EXPECT_EQ(again.toJson(), c.toJson());
}

TEST(ComparisonConfig, RefusesMistakesNamingTheKey) {
  EXPECT_NE(errorOf({{"seed", {1}}}).find("\"seed\" is not a comparison setting"), std::string::npos);
  EXPECT_NE(errorOf({{"methods", {"dreambooth"}}}).find("unknown method 'dreambooth'"), std::string::npos);
  EXPECT_NE(errorOf({{"methods", {"base", "base"}}}).find("twice"), std::string::npos);
  EXPECT_NE(errorOf({{"customizations", {"object"}}, {"prompts", {{"style", {"x"}}}}}).find("does not run"),
            std::string::npos);
  EXPECT_NE(errorOf({{"frames", 1}}).find("\"frames\" must be from 2"), std::string::npos);
  EXPECT_NE(errorOf({{"size", 60}}).find("multiple of 8"), std::string::npos);
  EXPECT_NE(errorOf({{"seeds", {-1}}}).find("\"seeds\""), std::string::npos);
  EXPECT_NE(errorOf({{"steps", "20"}}).find("whole number"), std::string::npos);
  EXPECT_NE(errorOf(json::array()).find("JSON object"), std::string::npos);
  EXPECT_NE(errorOf({{"prompts", {{"object", json::array()}}}}).find("non-empty"), std::string::npos);
}

TEST(ComparisonConfig, FromFileNamesAnUnreadableOrInvalidFile) {
  test::TempDir dir("compare_config");
  // The file's problems (exit status 3); its keys' are settings (ConfigError, exit status 2).
  EXPECT_THROW(ComparisonConfig::fromFile(dir.path() / "absent.json"), InputError);
  std::ofstream(dir.path() / "bad.json") << "{ not json";
  try {
    ComparisonConfig::fromFile(dir.path() / "bad.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json' is not valid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sm::comparison
