// Opening datasets and refusing bad ones: missing, empty, unfinished, corrupt;
// settings refused before anything loads; a cancelled build leaves no manifest.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/datasets/dataset_folder.h"
#include "core/datasets/dataset_jobs.h"
#include "core/datasets/dataset_manifest.h"
#include "core/datasets/latent_video_dataset.h"
#include "core/util/error.h"
#include "tests/datasets/dataset_test_util.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

namespace fs = std::filesystem;
using datasets::DatasetSource;
using datasets::FrozenDatasetSettings;
using datasets::LatentVideoDataset;

// Expects `call` to throw CheckpointError whose message holds `part`.
template <typename F>
void expectCheckpointError(F call, const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one mentioning " << part;
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// Expects `call` to throw InputError (an input folder missing or unusable) mentioning `part`.
template <typename F>
void expectInputError(F call, const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one mentioning " << part;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

template <typename F>
void expectConfigError(F call, const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one mentioning " << part;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// A folder of `count` 64 x 64 images.
fs::path writeImages(const test::TempDir& temp, int count) {
  const fs::path folder = temp.path() / "images";
  fs::create_directories(folder);
  for (int i = 0; i < count; ++i)
    datasets::writePng((folder / ("img" + std::to_string(i) + ".png")).string(), test::greyFrame(64, 64, 40 * i));
  return folder;
}

FrozenDatasetSettings imageSettings(const test::TempDir& temp, const fs::path& images) {
  auto s = test::tinySettings<FrozenDatasetSettings>(temp.file("ds"));
  s.source = DatasetSource::Images;
  s.inputFolder = images.string();
  s.caption = "sks dog";
  return s;
}

TEST(LatentVideoDataset, RefusesMissingEmptyAndCorruptFoldersNamingThePath) {
  test::TempDir temp("sm_dataset_errors");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("nope")); }, temp.file("nope"));
  fs::create_directories(temp.path() / "empty");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("empty")); }, "dataset.json");

  fs::create_directories(temp.path() / "bad");
  temp.write("bad/dataset.json", "{ not json");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "not valid JSON");
  temp.write("bad/dataset.json", R"({"format": "something-else"})");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "not a Still-Moving dataset");
  temp.write("bad/dataset.json", R"({"format": "stillmoving-dataset", "format_version": 9})");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "format_version 9");
  temp.write("bad/dataset.json", R"({"format": "stillmoving-dataset", "format_version": 1, "kind": "frozen",
      "source": "images", "frames": "16", "width": 64, "height": 64, "samples": []})");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "\"frames\"");
  // Found by fuzz_dataset_manifest: values of another type or out of range are damage, never a crash.
  temp.write("bad/dataset.json", R"({"format": 4})");
  expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "not a Still-Moving dataset");
  for (const char* frames : {"1e20", "2.5", "99999999999", "-3", "100000"}) {
    temp.write("bad/dataset.json", std::string(R"({"format": "stillmoving-dataset", "format_version": 1,
        "kind": "frozen", "source": "images", "width": 64, "height": 64, "samples": [], "frames": )") +
                                       frames + "}");
    expectCheckpointError([&] { LatentVideoDataset::open(temp.file("bad")); }, "frames");
  }

  // A real dataset whose latents file is then damaged or lost.
  const fs::path images = writeImages(temp, 2);
  const FrozenDatasetSettings s = imageSettings(temp, images);
  datasets::buildFrozenDataset(s, jobs::silentJob());
  ASSERT_EQ(LatentVideoDataset::open(s.out).size(), 2u);
  temp.write("ds/latents.safetensors", "garbage");
  expectCheckpointError([&] { LatentVideoDataset::open(s.out); }, "latents.safetensors");
  fs::remove(fs::path(s.out) / "latents.safetensors");
  expectCheckpointError([&] { LatentVideoDataset::open(s.out); }, "build it again");
}

TEST(LatentVideoDataset, ManifestRoundTrips) {
  datasets::DatasetManifest m;
  m.kind = datasets::DatasetKind::Prior;
  m.source = DatasetSource::Videos;
  m.frames = 8;
  m.width = 96;
  m.height = 64;
  m.stride = 3;
  m.seed = 18446744073709551615ull;
  m.pixelsPerLatent = 4;
  m.samples.push_back({"0000", "a dog", "/videos/a.mp4", 12, 0});
  m.samples.push_back({"0001", "", "", -1, 99});
  const datasets::DatasetManifest back = datasets::manifestFromJson(datasets::manifestToJson(m), "x.json");
  EXPECT_EQ(back.kind, m.kind);
  EXPECT_EQ(back.source, m.source);
  EXPECT_EQ(back.frames, 8);
  EXPECT_EQ(back.width, 96);
  EXPECT_EQ(back.stride, 3);
  EXPECT_EQ(back.seed, m.seed);
  ASSERT_EQ(back.samples.size(), 2u);
  EXPECT_EQ(back.samples[0].file, "/videos/a.mp4");
  EXPECT_EQ(back.samples[0].frame, 12);
  EXPECT_EQ(back.samples[1].seed, 99u);
  EXPECT_EQ(back.samples[1].frame, -1);
  EXPECT_EQ(back.pixelsPerLatent, 4);
}

TEST(LatentVideoDataset, ManifestPixelsPerLatentDefaultsToSDsAndMustDivideTheSize) {
  datasets::DatasetManifest m;
  m.width = 64;
  m.height = 64;
  m.samples.push_back({"0000", "a dog", "", -1, 0});
  nlohmann::json j = nlohmann::json::parse(datasets::manifestToJson(m));
  j["latents"].erase("pixels_per_latent");  // as written before other VAEs were supported
  EXPECT_EQ(datasets::manifestFromJson(j.dump(), "x.json").pixelsPerLatent, 8);

  m.width = 36;  // a multiple of 4, not of 8
  m.pixelsPerLatent = 4;
  EXPECT_EQ(datasets::manifestFromJson(datasets::manifestToJson(m), "x.json").width, 36);
  m.pixelsPerLatent = 8;
  expectCheckpointError([&] { datasets::manifestFromJson(datasets::manifestToJson(m), "x.json"); },
                        "8 pixels per latent");
}

TEST(DatasetBuild, RefusesBadSettingsAndFoldersBeforeLoadingAnything) {
  test::TempDir temp("sm_dataset_settings");
  const fs::path images = writeImages(temp, 1);
  FrozenDatasetSettings s = imageSettings(temp, images);
  s.width = 65;
  expectConfigError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "width must be a multiple of 8");
  s = imageSettings(temp, images);
  s.inputFolder = temp.file("missing");
  expectInputError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "no such folder");
  fs::create_directories(temp.path() / "nothing");
  temp.write("nothing/readme.txt", "no images here");
  s.inputFolder = temp.file("nothing");
  expectInputError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "holds no images");
  s = imageSettings(temp, images);
  s.source = DatasetSource::Model;
  expectConfigError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "prompt");
  EXPECT_FALSE(fs::exists(s.out)) << "nothing was created";

  // A folder holding other things is never used (nor emptied).
  s = imageSettings(temp, images);
  fs::create_directories(s.out);
  temp.write("ds/thesis.pdf", "precious");
  expectConfigError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "thesis.pdf");
  EXPECT_TRUE(fs::exists(temp.file("ds/thesis.pdf")));

  // Only unreadable inputs: an error, and no manifest.
  fs::remove(temp.file("ds/thesis.pdf"));
  fs::create_directories(temp.path() / "junk");
  temp.write("junk/a.png", "not a png");
  s.inputFolder = temp.file("junk");
  expectConfigError([&] { datasets::buildFrozenDataset(s, jobs::silentJob()); }, "no usable sample");
  EXPECT_FALSE(fs::exists(temp.file("ds/dataset.json")));

  datasets::PriorDatasetSettings prior = test::tinySettings<datasets::PriorDatasetSettings>(temp.file("prior"));
  prior.source = DatasetSource::Images;
  expectConfigError([&] { datasets::buildPriorDataset(prior, jobs::silentJob()); }, "videos");
  prior.source = DatasetSource::Generated;
  prior.models.motionModule.clear();
  prior.prompts = {"a river"};
  expectConfigError([&] { datasets::buildPriorDataset(prior, jobs::silentJob()); }, "motion module is required");
}

// Everything in `folder`, hidden names included: a build leaves nothing but the dataset.
std::vector<std::string> entriesOf(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(DatasetBuild, ACancelledBuildLeavesNothingAndACancelledRebuildKeepsTheOldDataset) {
  test::TempDir temp("sm_dataset_cancel");
  const fs::path images = writeImages(temp, 3);
  FrozenDatasetSettings s = imageSettings(temp, images);
  auto cancelAfterFirstSample = [] {
    auto token = std::make_shared<jobs::CancelToken>();
    jobs::JobListener listener;
    listener.onProgress = [token](const jobs::Progress& p) {
      if (p.stage == "reading" && p.done == 1) token->cancel();
    };
    return std::make_unique<jobs::JobContext>(listener, token);
  };
  EXPECT_THROW(datasets::buildFrozenDataset(s, *cancelAfterFirstSample()), Cancelled);
  EXPECT_FALSE(fs::exists(s.out));  // built out of sight: nothing of it is left
  EXPECT_EQ(entriesOf(temp.path()), std::vector<std::string>{"images"});

  const datasets::DatasetSummary summary = datasets::buildFrozenDataset(s, jobs::silentJob());
  EXPECT_EQ(summary.samples, 3);
  const std::string manifest = test::readFile(s.out + "/dataset.json");
  const std::string latents = test::readFile(s.out + "/latents.safetensors");

  // A rebuild with other settings, cancelled midway: the old dataset stays, whole and loadable.
  s.seed = 99;
  EXPECT_THROW(datasets::buildFrozenDataset(s, *cancelAfterFirstSample()), Cancelled);
  EXPECT_EQ(test::readFile(s.out + "/dataset.json"), manifest);
  EXPECT_EQ(test::readFile(s.out + "/latents.safetensors"), latents);
  EXPECT_EQ(LatentVideoDataset::open(s.out).size(), 3u);
  EXPECT_EQ(entriesOf(temp.path()), (std::vector<std::string>{"ds", "images"}));
}

TEST(DatasetFolder, ContactSheetAndThumbnails) {
  const video::Frame big = test::greyFrame(512, 256, 100);
  const video::Frame small = datasets::thumbnail(big, 128);
  EXPECT_EQ(small.width, 128);
  EXPECT_EQ(small.height, 64);
  EXPECT_EQ(small.rgb[0], 100);
  EXPECT_EQ(datasets::thumbnail(small, 128).width, 128) << "never enlarged";
  const video::Frame sheet = datasets::contactSheet(std::vector<video::Frame>(5, small), 4);
  EXPECT_EQ(sheet.width, 3 * 128 + 4 * 4);  // 5 thumbnails: 3 columns, 2 rows
  EXPECT_EQ(sheet.height, 2 * 64 + 3 * 4);
  EXPECT_EQ(sheet.rgb.size(), static_cast<size_t>(sheet.width) * sheet.height * 3);
  EXPECT_EQ(datasets::sampleKey(7), "0007");
  EXPECT_EQ(datasets::sampleKey(12345), "12345");
}

}  // namespace
}  // namespace sm
