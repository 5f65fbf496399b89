// Every fixture in tests/data/fixtures is recognized as what its generator
// (tests/reference/make_fixtures.py, diffusers/transformers/torch) says it is,
// the same weights in different namings map onto identical diffusers-named
// tensors, and every file of the malformed corpus is refused with a message
// naming it.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/controlnet.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/model_recognition.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

using test::dataPath;

nlohmann::json readManifest(const std::string& relative) {
  std::ifstream in(dataPath(relative));
  return nlohmann::json::parse(in);
}

// Names, shapes, dtypes and bytes of `a` and `b` are identical.
void expectSameTensors(const io::StateDictIndex& a, const io::StateDictIndex& b,
                       const std::string& skipContaining = "") {
  size_t compared = 0;
  for (const auto& t : b.tensors()) {
    if (!skipContaining.empty() && t.name.find(skipContaining) != std::string::npos) continue;
    const io::TensorInfo* other = a.find(t.name);
    ASSERT_NE(other, nullptr) << "missing " << t.name << " in " << a.path;
    ASSERT_EQ(other->shape, t.shape) << t.name;
    ASSERT_EQ(other->dtype, t.dtype) << t.name;
    ASSERT_TRUE(other->isContiguous() && t.isContiguous()) << t.name;
    const auto* pa = other->data + other->storageOffset * static_cast<int64_t>(io::dtypeSize(other->dtype));
    const auto* pb = t.data + t.storageOffset * static_cast<int64_t>(io::dtypeSize(t.dtype));
    ASSERT_EQ(std::memcmp(pa, pb, t.byteSize()), 0) << "bytes differ: " << t.name;
    ++compared;
  }
  size_t aCount = 0;
  for (const auto& t : a.tensors())
    if (skipContaining.empty() || t.name.find(skipContaining) == std::string::npos) ++aCount;
  EXPECT_EQ(aCount, compared) << a.path << " has tensors " << b.path << " lacks";
  EXPECT_GT(compared, 0u);
}

TEST(Fixtures, EveryFixtureIsRecognizedAsItsGeneratorSays) {
  const auto manifest = readManifest("fixtures/manifest.json");
  ASSERT_GE(manifest.size(), 15u);
  for (const auto& entry : manifest) {
    const std::string path = dataPath("fixtures/" + entry["path"].get<std::string>());
    SCOPED_TRACE(path);
    if (entry["kind"] == "unknown") {
      EXPECT_THROW(io::recognizeModel(path), CheckpointError);
      continue;
    }
    const io::ModelInfo info = io::recognizeModel(path);
    EXPECT_EQ(io::modelKindName(info.kind), entry["kind"].get<std::string>());
    EXPECT_EQ(info.variant, entry["variant"].get<std::string>());
    EXPECT_EQ(info.naming, entry["naming"].get<std::string>());
    EXPECT_EQ(info.tensors, entry["tensors"].get<size_t>());
    EXPECT_EQ(info.parameters, entry["parameters"].get<int64_t>());
    EXPECT_EQ(std::vector<std::string>(info.dtypes.begin(), info.dtypes.end()),
              entry["dtypes"].get<std::vector<std::string>>());
    const bool wholeModel = info.kind == io::ModelKind::SD15Checkpoint || info.kind == io::ModelKind::DiffusersPipeline;
    if (wholeModel) EXPECT_EQ(info.components.size(), 3u);
    // Checking keys against the configs is core/models' (tests/models/model_check_test.cpp).
    for (const auto& c : info.components) EXPECT_FALSE(c.keyCheck.has_value()) << c.name;
  }
}

TEST(Fixtures, LdmCheckpointMapsOntoTheDiffusersFolderBitForBit) {
  const auto ldm = io::readStateDict(dataPath("fixtures/sd15_tiny_ldm.safetensors"));
  const io::LdmComponents parts = io::splitLdmCheckpoint(ldm);
  EXPECT_TRUE(parts.unmapped.empty());
  EXPECT_TRUE(parts.foreign.empty());
  const std::string folder = "fixtures/sd15_tiny_diffusers/";
  expectSameTensors(parts.unet, io::readStateDict(dataPath(folder + "unet/diffusion_pytorch_model.safetensors")));
  expectSameTensors(parts.vae, io::readStateDict(dataPath(folder + "vae/diffusion_pytorch_model.safetensors")));
  expectSameTensors(parts.textEncoder, io::readStateDict(dataPath(folder + "text_encoder/model.safetensors")),
                    "position_ids");
}

TEST(Fixtures, CkptAndSafetensorsOfTheSameCheckpointHoldTheSameTensors) {
  expectSameTensors(io::readStateDict(dataPath("fixtures/sd15_tiny_ldm.ckpt")),
                    io::readStateDict(dataPath("fixtures/sd15_tiny_ldm.safetensors")));
  expectSameTensors(io::readStateDict(dataPath("fixtures/controlnet_tiny_original.pth")),
                    io::readStateDict(dataPath("fixtures/controlnet_tiny_original.safetensors")));
}

TEST(Fixtures, OriginalControlNetMapsOntoTheDiffusersOne) {
  const auto original = io::readStateDict(dataPath("fixtures/controlnet_tiny_original.safetensors"));
  const auto renamed = io::renameControlNetOriginal(original, io::controlNetOriginalPrefix(original));
  EXPECT_TRUE(renamed.unmapped.empty()) << renamed.unmapped.front();
  expectSameTensors(
      renamed.weights,
      io::readStateDict(dataPath("fixtures/controlnet_tiny_diffusers/diffusion_pytorch_model.safetensors")));
}

TEST(Fixtures, OriginalMotionModuleMapsOntoTheDiffusersOne) {
  const auto renamed =
      io::renameAnimateDiffOriginal(io::readStateDict(dataPath("fixtures/mm_tiny_v3_original.safetensors")));
  EXPECT_EQ(renamed.ignored.size(), 20u);  // the second of the two position tables per module
  expectSameTensors(renamed.weights, io::readStateDict(dataPath("fixtures/mm_tiny_v3_diffusers.safetensors")));
}

TEST(Fixtures, EveryMalformedFileIsRefusedWithItsNameInTheMessage) {
  const auto manifest = readManifest("malformed/manifest.json");
  ASSERT_GE(manifest.size(), 15u);
  std::filesystem::remove("/tmp/sm_pwned_fixture");
  for (const auto& entry : manifest) {
    std::filesystem::path path = dataPath("malformed/" + entry["path"].get<std::string>());
    if (path.filename() == "model_index.json") path = path.parent_path();  // a broken folder
    SCOPED_TRACE(path.string() + ": " + entry["problem"].get<std::string>());
    try {
      io::recognizeModel(path.string());
      ADD_FAILURE() << "accepted";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/sm_pwned_fixture")) << "the hostile pickle ran code";
}

}  // namespace
}  // namespace sm

namespace sm {
namespace {

// `stillmoving inspect` counts parameters as diffusers' num_parameters() does
// (tests/data/parity/param_counts.json, written by tests/reference/make_parity.py).
TEST(Fixtures, ParameterCountsEqualDiffusers) {
  std::ifstream in(dataPath("parity/param_counts.json"));
  const auto counts = nlohmann::json::parse(in);
  auto expected = [&](const char* model) { return counts[model]["num_parameters"].get<int64_t>(); };
  auto component = [](const io::ModelInfo& info, const std::string& name) {
    for (const auto& c : info.components)
      if (c.name == name) return c.parameters;
    ADD_FAILURE() << "no component " << name << " in " << info.path;
    return int64_t{-1};
  };
  for (const char* path : {"fixtures/sd15_tiny_diffusers", "fixtures/sd15_tiny_ldm.safetensors"}) {
    const auto info = io::recognizeModel(dataPath(path));
    EXPECT_EQ(component(info, "unet"), expected("unet")) << path;
    EXPECT_EQ(component(info, "vae"), expected("vae")) << path;
    EXPECT_EQ(component(info, "text_encoder"), expected("text_encoder")) << path;
  }
  for (const auto& [path, model] : std::vector<std::pair<std::string, const char*>>{
           {"fixtures/mm_tiny_v1_original.ckpt", "motion_adapter_v1"},
           {"fixtures/mm_tiny_v2_original.ckpt", "motion_adapter_v2"},
           {"fixtures/motion_adapter_tiny_v2_diffusers", "motion_adapter_v2"},
           {"fixtures/mm_tiny_v3_original.safetensors", "motion_adapter_v3"},
           {"fixtures/mm_tiny_v3_diffusers.safetensors", "motion_adapter_v3"}})
    EXPECT_EQ(component(io::recognizeModel(dataPath(path)), "motion_modules"), expected(model)) << path;
  EXPECT_EQ(io::recognizeModel(dataPath("fixtures/controlnet_tiny_diffusers")).parameters, expected("controlnet"));
  EXPECT_EQ(component(io::recognizeModel(dataPath("fixtures/controlnet_tiny_original.pth")), "controlnet"),
            expected("controlnet"));
}

}  // namespace
}  // namespace sm
