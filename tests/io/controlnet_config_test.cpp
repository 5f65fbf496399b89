// The ControlNet's config against the full-size SD 1.5 ControlNet
// (keylists/sd15_controlnet_diffusers.txt): the config a single file gets from
// SD 1.5's UNet expects exactly those tensors, inferring it from the names and
// shapes alone gives the same, and it reads back from its own config.json.
#include <gtest/gtest.h>

#include "core/models/controlnet/controlnet_config.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm::models {
namespace {

TEST(ControlNetConfig, SD15sControlNetIsTheBaseEncoderPlusTheHintAndZeroConvs) {
  const io::StateDictIndex keys = test::readKeylist("keylists/sd15_controlnet_diffusers.txt");
  const ControlNetConfig fromBase = ControlNetConfig::fromBase(UNetConfig{}, keys);
  EXPECT_EQ(fromBase.conditioning_channels, 3);
  EXPECT_EQ(fromBase.conditioning_embedding_out_channels, (std::vector<int>{16, 32, 96, 256}));
  EXPECT_EQ(fromBase.conditioningDownscale(), 8);
  EXPECT_EQ(fromBase.downResidualChannels(),
            (std::vector<int64_t>{320, 320, 320, 320, 640, 640, 640, 1280, 1280, 1280, 1280, 1280}));
  const KeyCheck check = checkTensors(keys, fromBase.expectedTensors());
  EXPECT_TRUE(check.ok()) << check.describe();
  EXPECT_EQ(fromBase.expectedTensors().size(), keys.size());

  const ControlNetConfig inferred = ControlNetConfig::inferFromWeights(keys);
  EXPECT_EQ(inferred.unet.block_out_channels, UNetConfig{}.block_out_channels);
  EXPECT_TRUE(checkTensors(keys, inferred.expectedTensors()).ok());

  const ControlNetConfig again = ControlNetConfig::fromJson(fromBase.toJson(), "config.json");
  EXPECT_EQ(again.unet.block_out_channels, fromBase.unet.block_out_channels);
  EXPECT_EQ(again.conditioning_embedding_out_channels, fromBase.conditioning_embedding_out_channels);
  EXPECT_EQ(again.unet.attention_head_dim, fromBase.unet.attention_head_dim);
  EXPECT_EQ(again.bgr, fromBase.bgr);
}

TEST(ControlNetConfig, AnotherBasesWidthsShowAsMismatchedShapes) {
  const io::StateDictIndex keys = test::readKeylist("keylists/sd15_controlnet_diffusers.txt");
  UNetConfig narrow;
  narrow.block_out_channels = {160, 320, 640, 640};
  const KeyCheck check = checkTensors(keys, ControlNetConfig::fromBase(narrow, keys).expectedTensors());
  ASSERT_FALSE(check.shapeMismatches.empty());
  EXPECT_EQ(check.shapeMismatches.front().name, "conv_in.weight");
}

TEST(ControlNetConfig, ABgrOrderAndUnsupportedKindsReadFromJson) {
  nlohmann::json json = ControlNetConfig{}.toJson();
  json["controlnet_conditioning_channel_order"] = "bgr";
  EXPECT_TRUE(ControlNetConfig::fromJson(json, "c.json").bgr);
  json["controlnet_conditioning_channel_order"] = "rgba";
  EXPECT_THROW(ControlNetConfig::fromJson(json, "c.json"), CheckpointError);
  json["controlnet_conditioning_channel_order"] = "rgb";
  json["addition_embed_type"] = "text_time";  // an SDXL ControlNet
  EXPECT_THROW(ControlNetConfig::fromJson(json, "c.json"), CheckpointError);
}

}  // namespace
}  // namespace sm::models
