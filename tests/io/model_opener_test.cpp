// The opener on every packaging of the fixtures: what it says each path is,
// where each part lives (weights in diffusers names, config.json, tokenizer),
// that every file is opened once and the parts share its mapping, and that a
// missing, foreign or broken path is refused with its name in the message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/io/model_opener.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

namespace fs = std::filesystem;
using io::ModelKind;
using io::Packaging;

std::string fixture(const std::string& name) { return test::dataPath("fixtures/" + name); }

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Opens `path` and says how many files that took.
io::OpenedModel openCounting(const std::string& path, uint64_t& opened) {
  const uint64_t before = io::stateDictOpenCount();
  io::OpenedModel model = io::openModel(path);
  opened = io::stateDictOpenCount() - before;
  return model;
}

// `message` names `path` (or its last part, for paths inside a folder).
void expectRefusedNaming(const std::string& path, const std::string& name) {
  try {
    io::openModel(path);
    ADD_FAILURE() << path << " was accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(ModelOpener, DiffusersPipelineFolderOpensEachComponentOnceWithItsConfig) {
  uint64_t opened = 0;
  const io::OpenedModel model = openCounting(fixture("sd15_tiny_diffusers"), opened);
  EXPECT_EQ(opened, 3u);  // unet, vae, text_encoder: one weights file each
  EXPECT_EQ(model.packaging, Packaging::DiffusersPipeline);
  EXPECT_EQ(model.info.kind, ModelKind::DiffusersPipeline);
  EXPECT_EQ(model.file, nullptr);
  EXPECT_TRUE(endsWith(model.tokenizerFolder, "sd15_tiny_diffusers/tokenizer")) << model.tokenizerFolder;
  for (const auto& [name, kind, cls, weights] :
       std::vector<std::tuple<std::string, ModelKind, std::string, std::string>>{
           {"unet", ModelKind::UNet, "UNet2DConditionModel", "unet/diffusion_pytorch_model.safetensors"},
           {"vae", ModelKind::VAE, "AutoencoderKL", "vae/diffusion_pytorch_model.safetensors"},
           {"text_encoder", ModelKind::TextEncoder, "CLIPTextModel", "text_encoder/model.safetensors"}}) {
    SCOPED_TRACE(name);
    const io::OpenedComponent* c = model.find(name);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(model.find(kind), c);
    EXPECT_EQ(c->className, cls);
    EXPECT_EQ(c->naming, "diffusers");
    ASSERT_NE(c->config, nullptr);
    EXPECT_TRUE(endsWith(c->configPath, name + "/config.json")) << c->configPath;
    EXPECT_TRUE(endsWith(c->weights->path, weights)) << c->weights->path;
    EXPECT_GT(c->weights->size(), 0u);
  }
  EXPECT_EQ(model.find(ModelKind::MotionModule), nullptr);
}

TEST(ModelOpener, SingleFileLdmCheckpointIsSplitIntoPartsSharingOneMapping) {
  const io::OpenedModel pipeline = io::openModel(fixture("sd15_tiny_diffusers"));
  for (const char* name : {"sd15_tiny_ldm.safetensors", "sd15_tiny_ldm.ckpt"}) {
    SCOPED_TRACE(name);
    uint64_t opened = 0;
    const io::OpenedModel model = openCounting(fixture(name), opened);
    EXPECT_EQ(opened, 1u);
    EXPECT_EQ(model.packaging, Packaging::SingleFile);
    EXPECT_EQ(model.info.kind, ModelKind::SD15Checkpoint);
    ASSERT_NE(model.file, nullptr);
    EXPECT_TRUE(model.tokenizerFolder.empty());
    for (const char* part : {"unet", "vae", "text_encoder"}) {
      const io::OpenedComponent* c = model.find(part);
      ASSERT_NE(c, nullptr) << part;
      EXPECT_EQ(c->naming, "ldm");
      EXPECT_EQ(c->config, nullptr);
      // Renamed views into the same mapped file, not copies.
      EXPECT_EQ(c->weights->owner, model.file->owner) << part;
      EXPECT_EQ(c->weights->size(), pipeline.find(part)->weights->size()) << part;
      for (const auto& t : c->weights->tensors()) EXPECT_TRUE(pipeline.find(part)->weights->contains(t.name)) << t.name;
    }
    const io::OpenedComponent& unet = *model.find("unet");
    EXPECT_EQ(unet.dropped, model.file->size() - unet.weights->size());
    EXPECT_TRUE(unet.unmapped.empty());
  }
}

TEST(ModelOpener, BareComponentFolderAndDiffusersUNetFile) {
  const io::OpenedModel folder = io::openModel(fixture("sd15_tiny_diffusers/unet"));
  EXPECT_EQ(folder.packaging, Packaging::DiffusersComponent);
  EXPECT_EQ(folder.info.kind, ModelKind::UNet);
  ASSERT_NE(folder.find(ModelKind::UNet), nullptr);
  EXPECT_EQ(folder.find(ModelKind::UNet)->name, "model");  // as `stillmoving inspect` names it
  EXPECT_NE(folder.find(ModelKind::UNet)->config, nullptr);

  const io::OpenedModel file = io::openModel(fixture("sd15_tiny_diffusers/unet/diffusion_pytorch_model.safetensors"));
  EXPECT_EQ(file.packaging, Packaging::SingleFile);
  ASSERT_NE(file.find("unet"), nullptr);
  EXPECT_EQ(file.find("unet")->weights, file.file);  // the file itself: nothing to rename
}

TEST(ModelOpener, MotionModulesAreRenamedToDiffusersNames) {
  const io::OpenedModel original = io::openModel(fixture("mm_tiny_v1_original.ckpt"));
  EXPECT_EQ(original.info.kind, ModelKind::MotionModule);
  const io::OpenedComponent* modules = original.find(ModelKind::MotionModule);
  ASSERT_NE(modules, nullptr);
  EXPECT_EQ(modules->naming, "original");
  EXPECT_GT(modules->dropped, 0u);  // the position tables
  EXPECT_FALSE(modules->weights->hasPrefix("down_blocks.0.motion_modules.0.temporal_transformer."));
  EXPECT_TRUE(modules->weights->hasPrefix("down_blocks.0.motion_modules.0."));
  EXPECT_TRUE(original.file->hasPrefix("down_blocks.0.motion_modules.0.temporal_transformer."));

  const io::OpenedModel adapter = io::openModel(fixture("motion_adapter_tiny_v2_diffusers"));
  EXPECT_EQ(adapter.packaging, Packaging::DiffusersComponent);
  ASSERT_NE(adapter.find(ModelKind::MotionModule), nullptr);
  EXPECT_EQ(adapter.find(ModelKind::MotionModule)->className, "MotionAdapter");
  EXPECT_NE(adapter.find(ModelKind::MotionModule)->config, nullptr);
  EXPECT_EQ(adapter.find(ModelKind::MotionModule)->weights, adapter.file);
}

TEST(ModelOpener, ControlNetsInBothNamings) {
  const io::OpenedModel original = io::openModel(fixture("controlnet_tiny_original.pth"));
  const io::OpenedModel diffusers = io::openModel(fixture("controlnet_tiny_diffusers"));
  const io::OpenedComponent* a = original.find(ModelKind::ControlNet);
  const io::OpenedComponent* b = diffusers.find(ModelKind::ControlNet);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->naming, "original");
  EXPECT_EQ(b->className, "ControlNetModel");
  EXPECT_EQ(a->weights->size(), b->weights->size());
  for (const auto& t : b->weights->tensors()) EXPECT_TRUE(a->weights->contains(t.name)) << t.name;
}

TEST(ModelOpener, LoRAsAndAdaptersAreWholeFiles) {
  for (const auto& [name, kind] : std::vector<std::pair<std::string, ModelKind>>{
           {"lora_tiny_kohya.safetensors", ModelKind::LoRA},
           {"stillmoving_motion_adapter_tiny.safetensors", ModelKind::StillMovingAdapter}}) {
    const io::OpenedModel model = io::openModel(fixture(name));
    EXPECT_EQ(model.info.kind, kind) << name;
    EXPECT_TRUE(model.components.empty()) << name;
    ASSERT_NE(model.file, nullptr);
    EXPECT_GT(model.file->size(), 0u);
  }
}

TEST(ModelOpener, MissingForeignAndBrokenPathsAreRefusedByName) {
  expectRefusedNaming(fixture("no_such_model.safetensors"), "no_such_model.safetensors");
  expectRefusedNaming(fixture("unknown_tensors.safetensors"), "unknown_tensors.safetensors");
  expectRefusedNaming(test::dataPath("malformed/truncated_data.safetensors"), "truncated_data.safetensors");
  expectRefusedNaming(test::dataPath("malformed/bad_model_index"), "bad_model_index");
  expectRefusedNaming(test::dataPath("malformed/missing_unet_config"), "missing_unet_config");

  const fs::path empty = fs::temp_directory_path() / "sm_opener_empty_folder";
  fs::create_directories(empty);
  expectRefusedNaming(empty.string(), "sm_opener_empty_folder");
  fs::remove_all(empty);

  // A model that is no SD base: named, and said what it is instead.
  for (const auto& [name, kind] : std::vector<std::pair<std::string, std::string>>{
           {"lora_tiny_peft.safetensors", "is a lora"}, {"mm_tiny_v3_original.safetensors", "is a motion-module"}}) {
    try {
      io::openSDModel(fixture(name));
      ADD_FAILURE() << name << " was accepted as an SD model";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(kind), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(io::openSDModel(fixture("sd15_tiny_ldm.ckpt")));
}

TEST(ModelOpener, PipelineTokenizerWithoutItsFilesIsRefused) {
  const fs::path copy = fs::temp_directory_path() / "sm_opener_no_vocab";
  fs::remove_all(copy);
  fs::copy(fixture("sd15_tiny_diffusers"), copy, fs::copy_options::recursive);
  fs::remove(copy / "tokenizer" / "vocab.json");
  expectRefusedNaming(copy.string(), "tokenizer");
  fs::remove_all(copy);
}

TEST(ModelOpener, OpenWeightsSeesAnIndexAsASingleFile) {
  auto index = std::make_shared<const io::StateDictIndex>(test::readKeylist("keylists/sd15_unet_ldm.txt"));
  const io::OpenedModel model = io::openWeights(index);
  EXPECT_EQ(model.info.kind, ModelKind::SD15Checkpoint);
  ASSERT_NE(model.find(ModelKind::UNet), nullptr);
  EXPECT_EQ(model.find(ModelKind::UNet)->weights->size(), index->size());
}

}  // namespace
}  // namespace sm
