#include "core/models/clip/clip_text_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <iostream>

#include "core/engine/tensor_loader.h"
#include "core/io/state_dict_reader.h"
#include "core/models/config_json.h"
#include "core/util/error.h"
#include "tests/keylist.h"
#include "tests/tensor_test_util.h"

namespace sm::models {
namespace {

const std::string kData = SM_TEST_DATA_DIR;
const std::string kTextFolder = kData + "/fixtures/sd15_tiny_diffusers/text_encoder";
const std::string kLdmFile = kData + "/fixtures/sd15_tiny_ldm.safetensors";
const std::string kParityFile = kData + "/parity/clip_text.safetensors";

CLIPTextConfig folderConfig() {
  const std::string path = kTextFolder + "/config.json";
  return CLIPTextConfig::fromJson(readJsonFile(path), path);
}

torch::Tensor sampleIds(int64_t batch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  return torch::randint(0, 1000, {batch, 77}, gen, torch::kLong);
}

TEST(CLIPTextModel, ParametersMatchExpectedTensors) {
  const CLIPTextConfig config = folderConfig();
  CLIPTextModel model(config);
  std::map<std::string, std::vector<int64_t>> got;
  for (const auto& p : model->named_parameters()) got[p.key()] = p.value().sizes().vec();
  EXPECT_TRUE(model->named_buffers().is_empty());  // position_ids is recomputed, not a buffer
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& t : config.expectedTensors()) expected[t.name] = t.shape;
  EXPECT_EQ(got, expected);
}

TEST(CLIPTextModel, ParityWithTransformersFp32) {
  torch::NoGradGuard noGrad;
  auto ref = test::readTensors(kParityFile);
  ASSERT_TRUE(ref.count("input_ids") && ref.count("last_hidden_state"));
  CLIPTextModel model = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kFloat);
  const torch::Tensor ids = ref["input_ids"].to(torch::kLong);

  const torch::Tensor last = model(ids);
  ASSERT_EQ(last.sizes(), ref["last_hidden_state"].sizes());
  const double lastError = test::maxAbsDiff(last, ref["last_hidden_state"]);
  test::reportError("clip_last_hidden_state", lastError);
  EXPECT_LE(lastError, 1e-4);

  // hidden_state_clip_skip_k = diffusers' encode_prompt(clip_skip=k): final_layer_norm(hidden_states[-(k+1)]).
  // The fixture has 2 layers, so k = 2 is the embeddings after the final layer norm.
  for (int64_t k : {1, 2}) {
    const std::string name = "hidden_state_clip_skip_" + std::to_string(k);
    ASSERT_TRUE(ref.count(name)) << name;
    const double skipError = test::maxAbsDiff(model(ids, k), ref[name]);
    test::reportError("clip_" + name, skipError);
    EXPECT_LE(skipError, 1e-4);
  }
  if (ref.count("embeddings_out")) {
    const double embeddingsError = test::maxAbsDiff(model->text_model->embeddings(ids), ref["embeddings_out"]);
    test::reportError("clip_embeddings_out", embeddingsError);
    EXPECT_LE(embeddingsError, 1e-6);
  }
}

TEST(CLIPTextModel, LdmSingleFileGivesBitwiseSameOutput) {
  torch::NoGradGuard noGrad;
  CLIPTextModel fromFolder = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kFloat);
  // The tiny model has 8-wide heads, which weights cannot reveal: give the config.
  const io::StateDictIndex ldm = io::readStateDict(kLdmFile);
  CLIPTextModel fromLdm = loadCLIPTextModelFromLdm(ldm, torch::kCPU, torch::kFloat, folderConfig());
  const torch::Tensor ids = sampleIds(2);
  EXPECT_TRUE(torch::equal(fromFolder(ids), fromLdm(ids)));
  EXPECT_TRUE(torch::equal(fromFolder(ids, 1), fromLdm(ids, 1)));

  // Inferred: every size but the head count (64-wide heads assumed, so 1 head here).
  CLIPTextModel inferred = loadCLIPTextModelFromLdm(ldm, torch::kCPU, torch::kFloat);
  EXPECT_EQ(inferred->config().hidden_size, 32);
  EXPECT_EQ(inferred->config().num_hidden_layers, 2);
  EXPECT_EQ(inferred->config().intermediate_size, 64);
  EXPECT_EQ(inferred->config().vocab_size, 1000);
}

TEST(CLIPTextModel, CausalMaskHidesLaterTokens) {
  torch::NoGradGuard noGrad;
  CLIPTextModel model = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kFloat);
  torch::Tensor ids = sampleIds(1);
  const torch::Tensor before = model(ids);
  ids.index_put_({0, 40}, (ids.index({0, 40}) + 1) % 1000);
  const torch::Tensor after = model(ids);
  EXPECT_TRUE(torch::equal(before.narrow(1, 0, 40), after.narrow(1, 0, 40)));
  EXPECT_FALSE(torch::equal(before.narrow(1, 40, 37), after.narrow(1, 40, 37)));
}

TEST(CLIPTextModel, ClipSkipRange) {
  torch::NoGradGuard noGrad;
  CLIPTextModel model = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kFloat);
  const torch::Tensor ids = sampleIds(1);
  // clip skip = layers: the embeddings alone, final_layer_norm applied.
  const torch::Tensor embeddings = model->text_model->embeddings(ids);
  EXPECT_TRUE(torch::allclose(model(ids, 2), model->text_model->final_layer_norm(embeddings)));
  EXPECT_THROW(model(ids, 3), c10::Error);
  EXPECT_THROW(model(ids, -1), c10::Error);
  EXPECT_THROW(model(torch::zeros({1, 78}, torch::kLong)), c10::Error);
}

TEST(CLIPTextModel, Bf16OnCpuIsClose) {
  torch::NoGradGuard noGrad;
  CLIPTextModel fp32 = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kFloat);
  CLIPTextModel bf16 = loadCLIPTextModelFromFolder(kTextFolder, torch::kCPU, torch::kBFloat16);
  for (const auto& p : bf16->parameters()) ASSERT_EQ(p.scalar_type(), torch::kBFloat16);
  const torch::Tensor ids = sampleIds(2);
  const torch::Tensor out = bf16(ids);
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  const torch::Tensor ref = fp32(ids);
  const double error = test::maxAbsDiff(out, ref);
  test::reportError("clip_bf16_vs_fp32", error);
  test::reportError("clip_bf16_output_range", ref.abs().max().item<double>());
  // bf16 keeps ~3 significant digits; the layers lose about one more.
  EXPECT_LE(error, 0.05 * ref.abs().max().item<double>());
}

TEST(CLIPTextModel, MissingKeyThrowsCheckpointErrorNamingIt) {
  const io::StateDictIndex weights = io::readStateDict(kTextFolder + "/model.safetensors");
  const std::string key = "text_model.encoder.layers.1.mlp.fc2.bias";
  const io::StateDictIndex broken = test::editedIndex(weights, key, "", {});
  try {
    loadCLIPTextModel(broken, folderConfig(), torch::kCPU, torch::kFloat);
    FAIL() << "no CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(CLIPTextModel, WrongShapeThrowsShapeError) {
  const io::StateDictIndex weights = io::readStateDict(kTextFolder + "/model.safetensors");
  const std::string key = "text_model.encoder.layers.0.self_attn.q_proj.weight";
  const io::StateDictIndex broken = test::editedIndex(weights, "", key, {16, 64});  // same bytes, other shape
  try {
    loadCLIPTextModel(broken, folderConfig(), torch::kCPU, torch::kFloat);
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(e.key(), key);
    EXPECT_EQ(e.expected(), (std::vector<int64_t>{32, 32}));
    EXPECT_EQ(e.got(), (std::vector<int64_t>{16, 64}));
  }
}

TEST(CLIPTextModel, UnsupportedActivationThrowsConfigError) {
  CLIPTextConfig config = folderConfig();
  config.hidden_act = "relu";
  EXPECT_THROW(CLIPTextModel{config}, ConfigError);
}

}  // namespace
}  // namespace sm::models
