// The LDM exporter (io/key_maps/ldm_export.h): diffusers names back to a
// single-file checkpoint's, checked by splitting again with splitLdmCheckpoint.
#include "core/io/key_maps/ldm_export.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/key_maps/ldm_vae.h"
#include "core/io/state_dict_reader.h"
#include "core/models/clip/clip_text_config.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"
#include "core/util/error.h"

namespace sm {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

std::vector<io::NamedShape> named(const io::StateDictIndex& index) {
  std::vector<io::NamedShape> out;
  for (const auto& t : index.tensors()) out.push_back({t.name, t.shape});
  return out;
}

std::vector<io::NamedShape> named(const std::vector<models::ExpectedTensor>& expected) {
  std::vector<io::NamedShape> out;
  for (const auto& e : expected) out.push_back({e.name, e.shape});
  return out;
}

Shapes shapes(const io::StateDictIndex& index) {
  Shapes out;
  for (const auto& t : index.tensors()) out[t.name] = t.shape;
  return out;
}

Shapes shapes(const std::vector<io::NamedShape>& tensors) {
  Shapes out;
  for (const auto& t : tensors) out[t.name] = t.shape;
  return out;
}

io::StateDictIndex indexOf(const std::vector<io::LdmExportEntry>& entries) {
  io::StateDictIndex index;
  index.path = "exported.safetensors";
  for (const auto& e : entries) {
    io::TensorInfo t;
    t.name = e.ldmKey;
    t.shape = e.ldmShape;
    index.add(std::move(t));
  }
  return index;
}

TEST(PrefixKeyMap, UnmapInvertsMapWithInnerRenamesAndSqueeze) {
  const io::PrefixKeyMap vae = io::ldmVaeKeyMap(4);
  bool unsqueeze = false;
  EXPECT_EQ(vae.unmap("decoder.mid_block.attentions.0.to_out.0.weight", &unsqueeze),
            "decoder.mid.attn_1.proj_out.weight");
  EXPECT_TRUE(unsqueeze);
  EXPECT_EQ(vae.unmap("decoder.up_blocks.0.resnets.1.conv_shortcut.bias", &unsqueeze),
            "decoder.up.3.block.1.nin_shortcut.bias");
  EXPECT_FALSE(unsqueeze);
  EXPECT_EQ(vae.unmap("decoder.nothing.weight", &unsqueeze), "");
  const io::PrefixKeyMap unet = io::ldmUNetKeyMap(models::UNetConfig{}.ldmLayout());
  EXPECT_EQ(unet.unmap("down_blocks.1.resnets.0.conv_shortcut.weight"), "input_blocks.4.0.skip_connection.weight");
  EXPECT_EQ(unet.unmap("up_blocks.1.upsamplers.0.conv.weight"), "output_blocks.5.2.conv.weight");
  EXPECT_EQ(unet.unmap("time_embedding.linear_2.bias"), "time_embed.2.bias");
}

TEST(LdmExport, FixtureSplitsAndExportsBackToItsKeys) {
  const io::StateDictIndex original =
      io::readStateDict(std::string(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_ldm.safetensors");
  const io::LdmComponents parts = io::splitLdmCheckpoint(original);
  ASSERT_TRUE(parts.unmapped.empty());
  ASSERT_TRUE(parts.foreign.empty());

  const models::UNetConfig unetConfig = models::UNetConfig::inferFromWeights(parts.unet);
  const int vaeLevels = static_cast<int>(models::VAEConfig::inferFromWeights(parts.vae).block_out_channels.size());
  const auto entries = io::ldmCheckpointExport(unetConfig.ldmLayout(), named(parts.unet), vaeLevels, named(parts.vae),
                                               named(parts.textEncoder));

  Shapes expected = shapes(original);
  for (const auto& key : parts.ignored) expected.erase(key);
  EXPECT_EQ(shapes(indexOf(entries)), expected);
  EXPECT_EQ(entries.size(), expected.size());  // no key written twice
}

TEST(LdmExport, EqualWidthUNetExportsAndSplitsBack) {
  // All widths equal and one layer per block: no conv_shortcut in down_blocks.1,
  // so the layout must come from the config, not from the resnets' shapes.
  models::UNetConfig unet;
  unet.block_out_channels = {64, 64, 64, 64};
  unet.layers_per_block = 1;
  unet.cross_attention_dim = 128;
  models::VAEConfig vae;
  vae.block_out_channels = {32, 32, 32, 32};
  vae.layers_per_block = 1;
  models::CLIPTextConfig text;
  text.hidden_size = 128;
  text.intermediate_size = 256;
  text.num_hidden_layers = 2;
  text.num_attention_heads = 2;
  text.vocab_size = 1000;

  const auto unetTensors = named(unet.expectedTensors());
  const auto vaeTensors = named(vae.expectedTensors());
  const auto textTensors = named(text.expectedTensors());
  const auto entries = io::ldmCheckpointExport(unet.ldmLayout(), unetTensors, 4, vaeTensors, textTensors);
  const io::LdmComponents parts = io::splitLdmCheckpoint(indexOf(entries));
  EXPECT_TRUE(parts.unmapped.empty());
  EXPECT_TRUE(parts.ignored.empty());
  EXPECT_TRUE(parts.foreign.empty());
  EXPECT_EQ(shapes(parts.unet), shapes(unetTensors));
  EXPECT_EQ(shapes(parts.vae), shapes(vaeTensors));
  EXPECT_EQ(shapes(parts.textEncoder), shapes(textTensors));
  EXPECT_EQ(models::UNetConfig::inferFromWeights(parts.unet).layers_per_block, 1);
}

TEST(LdmExport, KeyWithoutLdmNameThrowsNamingIt) {
  const std::vector<io::NamedShape> motion{{"down_blocks.0.motion_modules.0.proj_in.weight", {64, 64}}};
  try {
    io::ldmUNetExport(models::UNetConfig{}.ldmLayout(), motion);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "down_blocks.0.motion_modules.0.proj_in.weight");
  }
  EXPECT_THROW(io::ldmTextExport({{"embeddings.token_embedding.weight", {10, 8}}}), CheckpointError);
}

}  // namespace
}  // namespace sm
