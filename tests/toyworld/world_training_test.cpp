// `stillmoving world train` end to end at one step per stage: every stage
// runs, resumes as done, exports files the normal loaders read in both
// layouts, and the demo on them writes every method's video, the contact
// sheet and a results table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/io/safetensors.h"
#include "core/pipelines/model_cache.h"
#include "core/toyworld/demo.h"
#include "core/toyworld/figures.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/world_training.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "core/worker/jobs.h"
#include "tests/temp_dir.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

/// Every stage at one step, so the whole world trains in seconds.
void trainOneStepWorld(const fs::path& workDir) {
  WorldTrainingRequest request;
  request.workDir = workDir;
  request.options.stepScale = 1e-6;
  pipelines::ModelCache cache("cpu");
  trainWorld(request, cache, jobs::silentJob());
}

void EveryStageLeavesItsRecordAndARerunSkipsThem(const fs::path& workDir) {
  for (const auto& stage : worldStageNames()) EXPECT_TRUE(fs::exists(workDir / "records" / (stage + ".json"))) << stage;
  const auto before = fs::last_write_time(workDir / "models" / "base.safetensors");
  trainOneStepWorld(workDir);
  EXPECT_EQ(fs::last_write_time(workDir / "models" / "base.safetensors"), before);
}

void UnknownStagesAreRefusedByName(const fs::path& workDir) {
  WorldTrainingRequest request;
  request.workDir = workDir;
  request.only = {"vea"};
  pipelines::ModelCache cache("cpu");
  try {
    trainWorld(request, cache, jobs::silentJob());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("vea"), std::string::npos);
  }
}

void ExportedModelsGenerateInBothLayouts(const fs::path& workDir) {
  const ToyModelFiles f{workDir / "models"};
  ASSERT_TRUE(f.hasBase());
  pipelines::ModelCache cache("cpu");
  std::vector<video::VideoClip> clips;
  for (const fs::path& base : {f.base(), f.baseSingleFile()}) {
    worker::GenerateJob job = toyGenerateJob(f, "a red star bouncing on a gray background", 3, 4);
    job.models.base = base.string();
    job.request.steps = 4;
    clips.push_back(worker::runGenerate(cache, job, jobs::silentJob()).clips.front());
  }
  ASSERT_EQ(clips[0].frames.size(), 4u);
  EXPECT_EQ(clips[0].frames[0].width, 64);
  // fp16 files either way: the two layouts hold the same weights, so the same video.
  EXPECT_EQ(clips[0].frames[2].rgb, clips[1].frames[2].rgb);
  // Every weight file is there, stored in fp16 (the shipped world's size budget).
  for (const fs::path& p : {f.object(), f.styleLora(), f.motionAdapter(), f.objectSpatialAdapters(),
                            f.styleSpatialAdapters(), f.evaluator()}) {
    ASSERT_TRUE(fs::exists(p)) << p;
    for (const auto& t : io::readSafetensors(p.string()).tensors())
      EXPECT_EQ(t.dtype, io::DType::F16) << p << ": " << t.name;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(f.references("object")), fs::directory_iterator{}), 10);
}

void TheDemoWritesEveryMethodAndItsTable(const fs::path& workDir) {
  DemoRequest request;
  request.models = ToyModelFiles{workDir / "models"};
  request.out = workDir / "demo";
  request.frames = 4;
  request.steps = 2;
  pipelines::ModelCache cache("cpu");
  const DemoResult result = runDemo(request, cache, jobs::silentJob());
  ASSERT_EQ(result.rows.size(), 8u);  // six methods, then Still-Moving with and without the ControlNet
  const nlohmann::json doc = nlohmann::json::parse(std::ifstream(result.json));
  std::set<std::string> methods;
  for (const auto& row : doc.at("rows")) {
    methods.insert(row.at("method").get<std::string>());
    const auto clip = video::readVideo((request.out / row.at("video").get<std::string>()).string());
    EXPECT_EQ(clip.frames.size(), 4u) << row.dump();
    EXPECT_GE(row.at("motion").get<double>(), 0.0);
    EXPECT_LE(std::abs(row.at("fidelity").get<double>()), 1.0);
    const bool controlRow = row.at("method").get<std::string>().find("controlnet") != std::string::npos;
    EXPECT_EQ(row.contains("edge_agreement"), controlRow) << row.dump();
    if (controlRow) EXPECT_GE(row.at("edge_agreement").get<double>(), 0.0);
  }
  EXPECT_EQ(methods, (std::set<std::string>{"base", "naive_injection", "interpolation", "still_moving",
                                            "still_moving_no_controlnet", "still_moving_controlnet"}));
  const auto controlSheet = video::readVideo(result.controlSheet.string());
  EXPECT_GT(controlSheet.frames.at(0).height, 4 * 64);  // driving video, edges, without, with
  const auto sheet = video::readVideo(result.contactSheet.string());
  EXPECT_EQ(sheet.frames.size(), 1u);
  EXPECT_GT(sheet.frames[0].width, 4 * 64);
  std::ifstream md(result.markdown);
  const std::string table((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(table.find("Still-Moving a=-1"), std::string::npos);
}

// One test, so the world trains once (ctest runs every test in its own process).
TEST(WorldTraining, TrainsExportsGeneratesAndDemos) {
  const test::TempDir dir("world");
  trainOneStepWorld(dir.path());
  {
    SCOPED_TRACE("every stage leaves its record and a rerun skips them");
    EveryStageLeavesItsRecordAndARerunSkipsThem(dir.path());
  }
  {
    SCOPED_TRACE("unknown stages are refused by name");
    UnknownStagesAreRefusedByName(dir.path());
  }
  {
    SCOPED_TRACE("exported models generate in both layouts");
    ExportedModelsGenerateInBothLayouts(dir.path());
  }
  {
    SCOPED_TRACE("the demo writes every method and its table");
    TheDemoWritesEveryMethodAndItsTable(dir.path());
  }
}

}  // namespace
}  // namespace sm::toyworld
