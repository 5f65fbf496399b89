// toJson() of the model configs: diffusers/transformers config.json that
// fromJson reads back equal, with the fields and class names those libraries write.
#include <gtest/gtest.h>

#include "core/models/clip/clip_text_config.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"

namespace sm {
namespace {

template <typename Config>
void expectRoundTrip(const Config& config) {
  EXPECT_EQ(Config::fromJson(config.toJson(), "config.json"), config) << config.toJson().dump(2);
}

TEST(ConfigToJson, UNetRoundTripsWithDiffusersFields) {
  const models::UNetConfig sd15;
  expectRoundTrip(sd15);
  const nlohmann::json json = sd15.toJson();
  EXPECT_EQ(json.at("_class_name"), "UNet2DConditionModel");
  EXPECT_EQ(json.at("act_fn"), "silu");
  EXPECT_EQ(json.at("center_input_sample"), false);
  EXPECT_EQ(json.at("attention_head_dim"), 8);  // one number, as diffusers writes SD 1.5's
  EXPECT_TRUE(json.at("num_attention_heads").is_null());

  models::UNetConfig small;
  small.block_out_channels = {64, 64, 64, 64};
  small.layers_per_block = 1;
  small.cross_attention_dim = 128;
  small.sample_size = 8;
  expectRoundTrip(small);
  small.attention_head_dim = {2, 4, 8, 8};
  small.use_linear_projection = true;
  small.norm_num_groups = 16;
  expectRoundTrip(small);
  EXPECT_TRUE(small.toJson().at("attention_head_dim").is_array());
}

TEST(ConfigToJson, VAERoundTripsWithDiffusersFields) {
  const models::VAEConfig sd15;
  expectRoundTrip(sd15);
  const nlohmann::json json = sd15.toJson();
  EXPECT_EQ(json.at("_class_name"), "AutoencoderKL");
  EXPECT_EQ(json.at("down_block_types"), nlohmann::json(std::vector<std::string>(4, "DownEncoderBlock2D")));
  EXPECT_EQ(json.at("up_block_types"), nlohmann::json(std::vector<std::string>(4, "UpDecoderBlock2D")));
  EXPECT_EQ(json.at("latent_channels"), 4);
  EXPECT_DOUBLE_EQ(json.at("scaling_factor").get<double>(), 0.18215);

  models::VAEConfig small;
  small.block_out_channels = {32, 64};
  small.layers_per_block = 1;
  small.norm_num_groups = 16;
  small.sample_size = 64;
  small.mid_block_add_attention = false;
  expectRoundTrip(small);
  EXPECT_EQ(small.toJson().at("down_block_types").size(), 2u);
}

TEST(ConfigToJson, CLIPTextRoundTripsWithTransformersFields) {
  const models::CLIPTextConfig vitL;
  expectRoundTrip(vitL);
  const nlohmann::json json = vitL.toJson();
  EXPECT_EQ(json.at("architectures"), nlohmann::json({"CLIPTextModel"}));
  EXPECT_EQ(json.at("model_type"), "clip_text_model");
  EXPECT_EQ(json.at("hidden_act"), "quick_gelu");
  EXPECT_EQ(json.at("eos_token_id"), 2);
  EXPECT_FALSE(json.contains("_class_name"));

  models::CLIPTextConfig small;
  small.vocab_size = 600;
  small.hidden_size = 128;
  small.intermediate_size = 256;
  small.num_hidden_layers = 2;
  small.num_attention_heads = 2;
  small.layer_norm_eps = 1e-6;
  expectRoundTrip(small);
}

TEST(ConfigToJson, MotionAdapterRoundTrips) {
  const models::MotionModuleConfig v2;
  expectRoundTrip(v2);
  EXPECT_EQ(v2.toJson().at("_class_name"), "MotionAdapter");

  models::MotionModuleConfig small;
  small.block_out_channels = {64, 64, 64, 64};
  small.motion_layers_per_block = 1;
  small.motion_max_seq_length = 16;
  small.use_motion_mid_block = false;
  small.version = models::MotionModuleVersion::V3;
  expectRoundTrip(small);
  small.motion_max_seq_length = 24;  // v1: no mid block, 24 positions
  small.version = models::MotionModuleVersion::V1;
  expectRoundTrip(small);
}

}  // namespace
}  // namespace sm
