// The motion modules' position tables come from the file (as diffusers loads
// its persistent `pos_embed.pe` buffers); only a file without them gets the
// computed table, and a table of another shape is refused naming file and key.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "core/engine/tensor_writer.h"
#include "core/models/unet/unet_loader.h"
#include "core/nn/positional_embedding.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"
#include "tests/tensor_test_util.h"

namespace sm {
namespace {

std::string data(const std::string& relative) { return std::string(SM_TEST_DATA_DIR) + "/" + relative; }
const std::string kPipeline = data("fixtures/sd15_tiny_diffusers");
const std::string kV3Diffusers = data("fixtures/mm_tiny_v3_diffusers.safetensors");
const std::string kV3Original = data("fixtures/mm_tiny_v3_original.safetensors");
const std::string kTable = "down_blocks.1.motion_modules.0.transformer_blocks.0.pos_embed.pe";

bool isTable(const std::string& key) { return key.find(".pos_embed.pe") != std::string::npos; }

std::map<std::string, torch::Tensor> tablesOf(models::UNet3D& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : model->named_buffers())
    if (isTable(item.key())) out[item.key()] = item.value();
  return out;
}

torch::Tensor run(models::UNet3D& model) {
  auto ref = test::readTensors(data("parity/unet_motion_v3.safetensors"));
  torch::NoGradGuard noGrad;
  return model(ref.at("sample"), ref.at("timestep"), ref.at("encoder_hidden_states"));
}

// The v3 motion module with each position table replaced by edit(name, table);
// an undefined result drops the table.
std::string writeEdited(const test::TempDir& dir, const std::function<torch::Tensor(const torch::Tensor&)>& edit) {
  engine::NamedTensors tensors;
  for (auto& [name, tensor] : test::readTensors(kV3Diffusers)) {
    torch::Tensor t = isTable(name) ? edit(tensor) : tensor;
    if (t.defined()) tensors.emplace_back(name, t);
  }
  const std::string path = dir.file("mm_edited.safetensors");
  engine::writeTensors(path, tensors);
  return path;
}

TEST(PositionTables, AreTheFilesTables) {
  models::UNet3DLoadReport report;
  auto model = models::loadUNet3D(kPipeline, kV3Diffusers, {}, &report);
  const auto file = test::readTensors(kV3Diffusers);
  const auto tables = tablesOf(model);
  EXPECT_EQ(tables.size(), 20u);  // v3: 20 modules of one transformer block
  for (const auto& [name, table] : tables) EXPECT_TRUE(torch::equal(table, file.at(name))) << name;
  EXPECT_EQ(report.computedPositionTables, 0u);
  EXPECT_TRUE(report.unexpected.empty());
}

TEST(PositionTables, OfAnOriginalFileAreItsFirstAttentionsTables) {
  models::UNet3DLoadReport report;
  auto model = models::loadUNet3D(kPipeline, kV3Original, {}, &report);
  const auto file = test::readTensors(kV3Original);
  const std::string original =
      "down_blocks.1.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.pos_encoder.pe";
  EXPECT_TRUE(torch::equal(tablesOf(model).at(kTable), file.at(original)));
  EXPECT_EQ(report.ignored, 20u);  // attention_blocks.1's tables: diffusers' block has one table
  EXPECT_EQ(report.computedPositionTables, 0u);
}

TEST(PositionTables, AlteredTablesChangeTheOutput) {
  test::TempDir dir("sm_position_tables");
  auto plain = models::loadUNet3D(kPipeline, kV3Diffusers);
  const std::string path = writeEdited(dir, [](const torch::Tensor& t) { return t * 0.5 + 0.25; });
  auto altered = models::loadUNet3D(kPipeline, path);
  const auto file = test::readTensors(path);
  EXPECT_TRUE(torch::equal(tablesOf(altered).at(kTable), file.at(kTable)));
  EXPECT_GT(test::maxAbsDiff(run(altered), run(plain)), 1e-3);
}

TEST(PositionTables, AreComputedWhenTheFileHasNone) {
  test::TempDir dir("sm_position_tables");
  const std::string path = writeEdited(dir, [](const torch::Tensor&) { return torch::Tensor(); });
  models::UNet3DLoadReport report;
  auto computed = models::loadUNet3D(kPipeline, path, {}, &report);
  EXPECT_EQ(report.computedPositionTables, 20u);
  EXPECT_EQ(computed->motionConfig()->motion_max_seq_length, 32);  // v3's length, without a table to say it
  const auto table = tablesOf(computed).at(kTable);
  EXPECT_TRUE(torch::equal(table, nn::sinusoidalPositions(32, table.size(2))));
  // The fixture's tables are the same float32 sinusoid, bit for bit: so is the output
  // (generation with the committed fixtures is unchanged by loading the tables).
  auto fromFile = models::loadUNet3D(kPipeline, kV3Diffusers);
  EXPECT_TRUE(torch::equal(table, tablesOf(fromFile).at(kTable)));
  EXPECT_TRUE(torch::equal(run(computed), run(fromFile)));
}

TEST(PositionTables, OfAnotherShapeAreAnErrorNamingFileAndKey) {
  test::TempDir dir("sm_position_tables");
  const std::string path = writeEdited(dir, [](const torch::Tensor& t) { return t.slice(1, 0, 16).clone(); });
  models::UNet3DLoadOptions options;
  options.motionConfig = models::MotionModuleConfig::inferFromWeights(io::readStateDict(kV3Diffusers));  // 32 rows
  try {
    models::loadUNet3D(kPipeline, path, options);
    FAIL() << "a 16-row table loaded into a 32-row module";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.key().find(".pos_embed.pe"), std::string::npos) << e.key();
    EXPECT_NE(std::string(e.what()).find("max_seq_length"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sm
