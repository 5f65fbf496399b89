// Key maps and configs at full SD 1.5 size, checked against the key lists of
// every naming (tests/data/keylists, copied from the architecture facts).
#include <gtest/gtest.h>

#include <map>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/key_maps/ldm_unet.h"
#include "core/models/clip/clip_text_config.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

using test::readKeylist;

std::map<std::string, std::vector<int64_t>> shapes(const io::StateDictIndex& index) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& t : index.tensors()) out[t.name] = t.shape;
  return out;
}

std::map<std::string, std::vector<int64_t>> shapes(const std::vector<models::ExpectedTensor>& expected) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& e : expected) out[e.name] = e.shape;
  return out;
}

// A checkpoint index holding the LDM UNet and VAE key lists plus the CLIP text
// encoder under its SD prefix, as a real single-file SD 1.5 checkpoint does.
io::StateDictIndex ldmCheckpoint() {
  io::StateDictIndex ckpt;
  ckpt.path = "sd15.safetensors";
  for (const char* list : {"keylists/sd15_unet_ldm.txt", "keylists/sd15_vae_ldm.txt"}) {
    const auto part = readKeylist(list);
    for (const auto& t : part.tensors()) ckpt.add(t);
  }
  const auto text = readKeylist("keylists/clip_vit_l14_text_hf.txt");
  for (auto t : text.tensors()) {
    t.name = "cond_stage_model.transformer." + t.name;
    ckpt.add(t);
  }
  io::TensorInfo positionIds;
  positionIds.name = "cond_stage_model.transformer.text_model.embeddings.position_ids";
  positionIds.dtype = io::DType::I64;
  positionIds.shape = {1, 77};
  ckpt.add(positionIds);
  io::TensorInfo beta;
  beta.name = "betas";
  beta.shape = {1000};
  ckpt.add(beta);
  return ckpt;
}

TEST(UNetConfig, ExpectedTensorsEqualTheSD15KeyList) {
  const auto expected = models::UNetConfig{}.expectedTensors();
  EXPECT_EQ(expected.size(), 686u);
  EXPECT_EQ(shapes(expected), shapes(readKeylist("keylists/sd15_unet_diffusers.txt")));
  int64_t params = 0;
  for (const auto& e : expected) {
    int64_t n = 1;
    for (auto d : e.shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, 859520964);
}

TEST(VAEConfig, ExpectedTensorsEqualTheSD15KeyList) {
  const auto expected = models::VAEConfig{}.expectedTensors();
  EXPECT_EQ(expected.size(), 248u);
  EXPECT_EQ(shapes(expected), shapes(readKeylist("keylists/sd15_vae_diffusers.txt")));
}

TEST(CLIPTextConfig, ExpectedTensorsEqualTheViTL14KeyList) {
  const auto expected = models::CLIPTextConfig{}.expectedTensors();
  EXPECT_EQ(expected.size(), 196u);
  EXPECT_EQ(shapes(expected), shapes(readKeylist("keylists/clip_vit_l14_text_hf.txt")));
}

TEST(UNetConfig, InferredFromWeightsEqualsSD15) {
  const auto inferred = models::UNetConfig::inferFromWeights(readKeylist("keylists/sd15_unet_diffusers.txt"));
  const models::UNetConfig sd15;
  EXPECT_EQ(inferred.block_out_channels, sd15.block_out_channels);
  EXPECT_EQ(inferred.down_block_types, sd15.down_block_types);
  EXPECT_EQ(inferred.up_block_types, sd15.up_block_types);
  EXPECT_EQ(inferred.layers_per_block, 2);
  EXPECT_EQ(inferred.cross_attention_dim, 768);
  EXPECT_FALSE(inferred.use_linear_projection);
}

TEST(UNetConfig, FromJsonReadsDiffusersFieldsAndRejectsNonsense) {
  auto json = nlohmann::json::parse(R"({"block_out_channels": [32, 64], "down_block_types": ["CrossAttnDownBlock2D",
      "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "attention_head_dim": 8,
      "cross_attention_dim": 32, "norm_num_groups": 8})");
  const auto config = models::UNetConfig::fromJson(json, "unet/config.json");
  EXPECT_EQ(config.attention_head_dim, (std::vector<int>{8, 8}));
  EXPECT_EQ(config.cross_attention_dim, 32);
  // A config.json's mistakes are the file's (CheckpointError: exit status 3), naming it.
  json["layers_per_block"] = "two";
  EXPECT_THROW(models::UNetConfig::fromJson(json, "unet/config.json"), CheckpointError);
  try {
    models::UNetConfig::fromJson(json, "unet/config.json");
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("unet/config.json: field 'layers_per_block'"), std::string::npos) << e.what();
  }
  json["layers_per_block"] = 2;
  json["norm_num_groups"] = 7;
  EXPECT_THROW(models::UNetConfig::fromJson(json, "unet/config.json"), CheckpointError);
}

TEST(LdmCheckpoint, SplitsIntoDiffusersNamedComponents) {
  const io::LdmComponents parts = io::splitLdmCheckpoint(ldmCheckpoint());
  EXPECT_TRUE(parts.unmapped.empty()) << parts.unmapped.front();
  EXPECT_TRUE(parts.foreign.empty());
  EXPECT_EQ(parts.ignored.size(), 2u);  // position_ids and betas
  EXPECT_EQ(shapes(parts.unet), shapes(readKeylist("keylists/sd15_unet_diffusers.txt")));
  // LDM VAE attention projections are [512, 512, 1, 1] convs; diffusers wants Linear [512, 512].
  EXPECT_EQ(shapes(parts.vae), shapes(readKeylist("keylists/sd15_vae_diffusers.txt")));
  EXPECT_EQ(shapes(parts.textEncoder), shapes(readKeylist("keylists/clip_vit_l14_text_hf.txt")));
  EXPECT_TRUE(models::checkTensors(parts.unet, models::UNetConfig{}.expectedTensors()).ok());
}

TEST(LdmCheckpoint, ReportsMissingAndUnexpectedKeysByName) {
  io::StateDictIndex ckpt;
  ckpt.path = "broken.safetensors";
  const auto unet = readKeylist("keylists/sd15_unet_ldm.txt");
  for (auto t : unet.tensors()) {
    if (t.name == "model.diffusion_model.output_blocks.4.1.proj_in.weight") continue;  // dropped
    if (t.name == "model.diffusion_model.out.2.weight") t.shape = {4, 320, 1, 1};      // mis-shaped
    ckpt.add(t);
  }
  io::TensorInfo stray;
  stray.name = "model.diffusion_model.input_blocks.1.1.extra_thing.weight";
  stray.shape = {3};
  ckpt.add(stray);
  const io::LdmComponents parts = io::splitLdmCheckpoint(ckpt);
  const auto check = models::checkTensors(parts.unet, models::UNetConfig{}.expectedTensors());
  ASSERT_EQ(check.missing.size(), 1u);
  EXPECT_EQ(check.missing[0], "up_blocks.1.attentions.1.proj_in.weight");
  ASSERT_EQ(check.unexpected.size(), 1u);
  EXPECT_EQ(check.unexpected[0], "down_blocks.0.attentions.0.extra_thing.weight");
  ASSERT_EQ(check.shapeMismatches.size(), 1u);
  EXPECT_EQ(check.shapeMismatches[0].name, "conv_out.weight");
  EXPECT_NE(check.describe().find("'conv_out.weight': expected shape [4, 320, 3, 3], got [4, 320, 1, 1]"),
            std::string::npos);
}

TEST(LdmUNetLayout, RejectsBlocksThatDoNotAddUp) {
  io::StateDictIndex ckpt;
  ckpt.path = "odd.safetensors";
  for (const char* name :
       {"model.diffusion_model.input_blocks.0.0.weight", "model.diffusion_model.input_blocks.1.0.in_layers.0.weight",
        "model.diffusion_model.input_blocks.2.0.op.weight", "model.diffusion_model.input_blocks.3.0.in_layers.0.weight",
        "model.diffusion_model.input_blocks.4.0.in_layers.0.weight"}) {
    io::TensorInfo t;
    t.name = name;
    t.shape = {1};
    ckpt.add(t);
  }
  EXPECT_THROW(io::inferLdmUNetLayout(ckpt, "model.diffusion_model."), CheckpointError);
}

class AnimateDiffNaming : public ::testing::TestWithParam<const char*> {};

TEST_P(AnimateDiffNaming, OriginalNamesMapOntoDiffusersNames) {
  const std::string version = GetParam();
  const auto original = readKeylist("keylists/animatediff_" + version + "_original_ckpt.txt");
  const auto renamed = io::renameAnimateDiffOriginal(original);
  // The first attention's position table of each block becomes the block's pos_embed.pe.
  const auto expected = shapes(readKeylist("keylists/animatediff_" + version + "_motionadapter_diffusers.txt"));
  EXPECT_EQ(shapes(renamed.weights), expected);
  EXPECT_EQ(renamed.ignored.size(), version == "v2" ? 21u : 20u);  // the second attention's tables
  for (const auto& key : renamed.ignored) EXPECT_NE(key.find(".attention_blocks.1.pos_encoder.pe"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Versions, AnimateDiffNaming, ::testing::Values("v1", "v2", "v3"));

}  // namespace
}  // namespace sm
