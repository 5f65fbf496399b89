// The key check of each opened part against its config: every whole-model
// fixture matches; a config.json that disagrees with the weights is reported
// key by key; a single file is checked against the config its weights imply.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/models/model_check.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) { return test::dataPath("fixtures/" + name); }

const io::ComponentReport& component(const io::ModelInfo& info, const std::string& name) {
  for (const auto& c : info.components)
    if (c.name == name) return c;
  throw std::runtime_error("no component " + name + " in " + info.path);
}

TEST(ModelCheck, EveryWholeModelFixtureMatchesItsConfigs) {
  for (const char* name :
       {"sd15_tiny_diffusers", "sd15_tiny_ldm.safetensors", "sd15_tiny_ldm.ckpt", "sd15_tiny_ldm_fp16.safetensors",
        "sd15_tiny_diffusers/unet", "sd15_tiny_diffusers/vae", "sd15_tiny_diffusers/text_encoder"}) {
    SCOPED_TRACE(name);
    const io::ModelInfo info = models::inspectModel(fixture(name));
    ASSERT_FALSE(info.components.empty());
    for (const auto& c : info.components) {
      ASSERT_TRUE(c.keyCheck.has_value()) << c.name;
      EXPECT_TRUE(c.keyCheck->ok()) << c.name << ":\n" << c.keyCheck->describe();
    }
    EXPECT_TRUE(info.keysOk());
  }
}

TEST(ModelCheck, MotionModulesAndLoRAsAreNotCheckedHere) {
  for (const char* name :
       {"mm_tiny_v1_original.ckpt", "motion_adapter_tiny_v2_diffusers", "lora_tiny_kohya.safetensors"}) {
    const io::ModelInfo info = models::inspectModel(fixture(name));
    for (const auto& c : info.components) EXPECT_FALSE(c.keyCheck.has_value()) << name << " " << c.name;
  }
}

TEST(ModelCheck, ControlNetsAreCheckedAndSayTheirHintAndTheBaseTheyFit) {
  for (const char* name :
       {"controlnet_tiny_original.safetensors", "controlnet_tiny_original.pth", "controlnet_tiny_diffusers"}) {
    const io::ModelInfo info = models::inspectModel(fixture(name));
    ASSERT_EQ(info.components.size(), 1u) << name;
    ASSERT_TRUE(info.components[0].keyCheck.has_value()) << name;
    EXPECT_TRUE(info.keysOk()) << name;
    std::string notes;
    for (const auto& n : info.notes) notes += n + "\n";
    EXPECT_NE(notes.find("hint: 3 channels"), std::string::npos) << notes;
    EXPECT_NE(notes.find("block_out_channels 8, 16, 24, 24"), std::string::npos) << notes;
    EXPECT_NE(notes.find("cross_attention_dim 32"), std::string::npos) << notes;
  }
}

TEST(ModelCheck, AConfigThatDisagreesWithTheWeightsIsReportedKeyByKey) {
  const fs::path copy = fs::temp_directory_path() / "sm_model_check_bad_config";
  fs::remove_all(copy);
  fs::copy(fixture("sd15_tiny_diffusers"), copy, fs::copy_options::recursive);
  const fs::path configPath = copy / "unet" / "config.json";
  nlohmann::json config = nlohmann::json::parse(std::ifstream(configPath));
  config["cross_attention_dim"] = config["cross_attention_dim"].get<int>() * 2;
  std::ofstream(configPath) << config.dump();

  const io::ModelInfo info = models::inspectModel(copy.string());
  EXPECT_FALSE(info.keysOk());
  const io::ComponentReport& unet = component(info, "unet");
  ASSERT_TRUE(unet.keyCheck.has_value());
  ASSERT_FALSE(unet.keyCheck->shapeMismatches.empty());
  EXPECT_NE(unet.keyCheck->shapeMismatches.front().name.find("attn2.to_k.weight"), std::string::npos);
  EXPECT_TRUE(component(info, "vae").keyCheck->ok());

  config["cross_attention_dim"] = "wide";  // malformed: refused, naming the file and field
  std::ofstream(configPath) << config.dump();
  try {
    models::inspectModel(copy.string());
    ADD_FAILURE() << "a malformed config.json was accepted";
  } catch (const CheckpointError& e) {  // the file's problem: exit status 3
    EXPECT_NE(std::string(e.what()).find("cross_attention_dim"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
  fs::remove_all(copy);
}

TEST(ModelCheck, FullSizeUNetKeylistMatchesTheInferredConfig) {
  auto index = std::make_shared<const io::StateDictIndex>(test::readKeylist("keylists/sd15_unet_diffusers.txt"));
  io::OpenedModel model = io::openWeights(index);
  models::checkComponentKeys(model);
  ASSERT_EQ(model.info.components.size(), 1u);
  ASSERT_TRUE(model.info.components[0].keyCheck.has_value());
  EXPECT_TRUE(model.info.keysOk()) << model.info.components[0].keyCheck->describe();

  // One tensor of another shape: the check names it.
  auto edited =
      std::make_shared<const io::StateDictIndex>(test::editedIndex(*index, "", "conv_in.weight", {320, 4, 5, 5}));
  io::OpenedModel broken = io::openWeights(edited);
  models::checkComponentKeys(broken);
  EXPECT_FALSE(broken.info.keysOk());
}

}  // namespace
}  // namespace sm
