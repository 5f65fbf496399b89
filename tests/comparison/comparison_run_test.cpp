// `compare` end to end on the shipped toy world at a tiny size: every method
// trained, generated and scored, the document and its figures written; a
// second run reuses everything; an output folder of another config is refused
// unless --overwrite.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/comparison/comparison_run.h"
#include "core/comparison/results_document.h"
#include "core/io/json_file.h"
#include "core/pipelines/model_cache.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "tests/temp_dir.h"

namespace sm::comparison {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

ComparisonRequest tinyRequest(const fs::path& out) {
  ComparisonRequest r;
  r.config = ComparisonConfig::fromJson({{"models", std::string(SM_SOURCE_DIR) + "/resources/toyworld"},
                                         {"customizations", {"style"}},
                                         {"prompts_per_customization", 1},
                                         {"seeds", {3}},
                                         {"motion_scales", {-1, 1}},
                                         {"frames", 4},
                                         {"steps", 2},
                                         {"train_steps", 2}},
                                        "test", "/");
  r.out = out;
  r.document = out / "doc" / "RESULTS.md";
  return r;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ComparisonRun, EveryMethodScoredTheDocumentWrittenAndASecondRunReusesEverything) {
  test::TempDir dir("compare_run");
  const ComparisonRequest request = tinyRequest(dir.path() / "out");
  pipelines::ModelCache cache("cpu");
  const ComparisonResult result = runComparison(request, cache, jobs::silentJob());

  // Every method at a = 0 + Still-Moving at -1 and 1, one prompt, one seed.
  EXPECT_EQ(result.videos.size(), methodTable().size() + 2);
  EXPECT_EQ(result.videosGenerated, static_cast<int>(result.videos.size()));
  EXPECT_EQ(result.trained.size(), 5u) << "still_moving, interleaved and three ablations";
  for (const auto& v : result.videos) {
    const video::VideoClip clip = video::readVideo((request.out / v.video).string());
    EXPECT_EQ(clip.frames.size(), 4u) << v.video;
    ASSERT_TRUE(v.scores.clipI && v.scores.clipT) << v.video;
    EXPECT_LE(std::abs(*v.scores.clipI), 1.0);
  }
  // Each trained method changes the video: its adapters or weights are really used.
  const auto motionOf = [&](Method m, double a) {
    for (const auto& v : result.videos)
      if (v.method == m && v.motionScale == a) return std::pair{*v.scores.clipI, v.scores.motion};
    throw std::runtime_error("missing");
  };
  EXPECT_NE(motionOf(Method::NaiveInjection, 0), motionOf(Method::Interleaved, 0));
  EXPECT_NE(motionOf(Method::StillMoving, -1), motionOf(Method::StillMoving, 1)) << "the scale is applied";

  const json j = io::readJsonFile((request.out / "results.json").string());
  EXPECT_EQ(j.at("videos").size(), result.videos.size());
  EXPECT_EQ(j.at("methods").size(), methodTable().size() + 2);
  EXPECT_FALSE(j.at("claims").empty());
  const std::string doc = readText(request.document);
  for (const char* part :
       {"| method | CLIP-I | CLIP-T | motion (px/frame)", "| interleaved training |", "| Still-Moving a=+1.0 |",
        "| claim | measured | verdict |", "](results/style_motion_scale.png)", "](results/style_contact_sheet.png)"})
    EXPECT_NE(doc.find(part), std::string::npos) << part << "\n" << doc;
  const video::VideoClip plot =
      video::readVideo((request.document.parent_path() / "results" / "style_motion_scale.png").string());
  ASSERT_EQ(plot.frames.size(), 1u);
  EXPECT_GT(plot.frames[0].width, 600) << "two panels";
  const video::VideoClip sheet =
      video::readVideo((request.document.parent_path() / "results" / "style_contact_sheet.png").string());
  // Rows: every method + Still-Moving at -1 and +1, 66 px each.
  EXPECT_EQ(sheet.frames.at(0).height, static_cast<int>(methodTable().size() + 2) * 66);

  const ComparisonResult again = runComparison(request, cache, jobs::silentJob());
  EXPECT_EQ(again.videosGenerated, 0);
  ASSERT_EQ(again.videos.size(), result.videos.size());
  for (size_t i = 0; i < again.videos.size(); ++i)
    EXPECT_EQ(again.videos[i].scores.motion, result.videos[i].scores.motion) << "scored from the same file";

  ComparisonRequest other = request;
  other.config.seeds = {4};
  other.config.methods = {Method::Base};
  EXPECT_THROW(runComparison(other, cache, jobs::silentJob()), ConfigError);
  other.overwrite = true;
  const ComparisonResult replaced = runComparison(other, cache, jobs::silentJob());
  EXPECT_EQ(replaced.videos.size(), 1u);
  EXPECT_FALSE(fs::exists(request.out / "training")) << "the other config's trained files are gone";
}

}  // namespace
}  // namespace sm::comparison
