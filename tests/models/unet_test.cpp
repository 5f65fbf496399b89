// UNet3D (SD 1.5 UNet + AnimateDiff motion modules) against diffusers outputs
// from tests/reference/make_parity.py, plus loader, option and error checks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/engine/tensor_loader.h"
#include "core/io/safetensors.h"
#include "core/models/config_json.h"
#include "core/models/motion/motion_module.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/unet/unet_loader.h"
#include "core/nn/positional_embedding.h"
#include "core/util/error.h"
#include "tests/tensor_test_util.h"

namespace sm {
namespace {

using models::loadUNet3D;
using models::UNet3DLoadOptions;

std::string data(const std::string& relative) { return std::string(SM_TEST_DATA_DIR) + "/" + relative; }
std::string fixture(const std::string& name) { return data("fixtures/" + name); }

const std::string kPipeline = fixture("sd15_tiny_diffusers");
const std::string kAdapterV2 = fixture("motion_adapter_tiny_v2_diffusers");
const std::string kV3Diffusers = fixture("mm_tiny_v3_diffusers.safetensors");

models::UNetConfig tinyUNetConfig() {
  const std::string path = kPipeline + "/unet/config.json";
  return models::UNetConfig::fromJson(models::readJsonFile(path), path);
}

// Runs the reference inputs of a parity file through `model`.
torch::Tensor run(models::UNet3D& model, std::map<std::string, torch::Tensor>& ref,
                  const std::string& sample = "sample") {
  torch::NoGradGuard noGrad;
  return model(ref.at(sample), ref.at("timestep"), ref.at("encoder_hidden_states"));
}

TEST(UNet2D, MatchesDiffusersUNet2DConditionModel) {
  auto model = loadUNet3D(kPipeline, "");
  auto ref = test::readTensors(data("parity/unet2d.safetensors"));
  ASSERT_EQ(ref.at("sample").sizes(), (std::vector<int64_t>{2, 4, 8, 8}));
  const float err = test::maxAbsDiff(run(model, ref), ref.at("out"));
  std::printf("[ UNet2D ] max |ours - diffusers| = %.3g\n", err);
  EXPECT_LE(err, 1e-4);
}

void expectMotionParity(const std::string& motionPath, const std::string& parityFile, const char* label) {
  auto model = loadUNet3D(kPipeline, motionPath);
  auto ref = test::readTensors(data(parityFile));
  const float err16 = test::maxAbsDiff(run(model, ref), ref.at("out"));
  const float err2 = test::maxAbsDiff(run(model, ref, "sample_2frames"), ref.at("out_2frames"));
  std::printf("[ UNet3D %s ] max |ours - diffusers|: 16 frames %.3g, 2 frames %.3g\n", label, err16, err2);
  EXPECT_LE(err16, 1e-4);
  EXPECT_LE(err2, 1e-4);
}

TEST(UNet3D, MotionV2MatchesDiffusersAt16And2Frames) {
  expectMotionParity(kAdapterV2, "parity/unet_motion_v2.safetensors", "v2");
}

TEST(UNet3D, MotionV3MatchesDiffusersAt16And2Frames) {
  expectMotionParity(kV3Diffusers, "parity/unet_motion_v3.safetensors", "v3");
}

TEST(UNet3D, PreRepeatedEncoderStatesGiveTheSameOutput) {
  auto model = loadUNet3D(kPipeline, kAdapterV2);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  torch::NoGradGuard noGrad;
  auto out = model(ref.at("sample"), ref.at("timestep"), ref.at("encoder_hidden_states_repeated"));
  EXPECT_TRUE(torch::equal(out, run(model, ref)));
}

TEST(UNet3D, PerFrameMotionNormMatchesOriginalAnimateDiffBehaviour) {
  UNet3DLoadOptions options;
  options.runtime.motionNormPerFrame = true;
  auto model = loadUNet3D(kPipeline, kAdapterV2, options);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  const float err = test::maxAbsDiff(run(model, ref), ref.at("out_per_frame_norm"));
  std::printf("[ UNet3D v2 per-frame norm ] max |ours - reference| = %.3g (vs across-frames output: %.3g)\n", err,
              test::maxAbsDiff(ref.at("out_per_frame_norm"), ref.at("out")));
  EXPECT_LE(err, 1e-4);
}

TEST(UNet3D, LdmAndDiffusersLoadsGiveBitwiseIdenticalOutputs) {
  UNet3DLoadOptions options;
  options.unetConfig = tinyUNetConfig();  // an LDM file carries no config; the tiny one uses 4 norm groups
  models::UNet3DLoadReport report;
  auto ldm = loadUNet3D(fixture("sd15_tiny_ldm.safetensors"), kAdapterV2, options, &report);
  EXPECT_EQ(report.unetNaming, "ldm");
  EXPECT_TRUE(report.unexpected.empty());
  auto diffusers = loadUNet3D(kPipeline, kAdapterV2);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  EXPECT_TRUE(torch::equal(run(ldm, ref), run(diffusers, ref)));
  auto ckpt = loadUNet3D(fixture("sd15_tiny_ldm.ckpt"), "", options);
  auto ref2d = test::readTensors(data("parity/unet2d.safetensors"));
  auto plain = loadUNet3D(kPipeline, "");
  EXPECT_TRUE(torch::equal(run(ckpt, ref2d), run(plain, ref2d)));
}

TEST(UNet3D, OriginalAndDiffusersMotionNamingGiveIdenticalOutputs) {
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  for (const auto& [original, diffusers] : {std::pair{fixture("mm_tiny_v2_original.ckpt"), kAdapterV2},
                                            std::pair{fixture("mm_tiny_v3_original.safetensors"), kV3Diffusers}}) {
    SCOPED_TRACE(original);
    models::UNet3DLoadReport report;
    auto a = loadUNet3D(kPipeline, original, {}, &report);
    EXPECT_EQ(report.motionNaming, "original");
    EXPECT_TRUE(report.unexpected.empty());
    EXPECT_GT(report.ignored, 0u);  // the second attention's pos_encoder.pe tables
    auto b = loadUNet3D(kPipeline, diffusers);
    EXPECT_EQ(a->motionConfig()->version, b->motionConfig()->version);
    EXPECT_TRUE(torch::equal(run(a, ref), run(b, ref)));
  }
}

TEST(UNet3D, V1ModuleLoadsAndRuns) {
  auto model = loadUNet3D(kPipeline, fixture("mm_tiny_v1_original.ckpt"));
  ASSERT_TRUE(model->hasMotionModules());
  EXPECT_EQ(model->motionConfig()->version, models::MotionModuleVersion::V1);
  EXPECT_FALSE(model->motionConfig()->use_motion_mid_block);
  EXPECT_EQ(model->maxFrames(), 24);
  torch::NoGradGuard noGrad;
  torch::manual_seed(3);
  auto out = model(torch::randn({1, 4, 24, 8, 8}), torch::tensor({500}), torch::randn({1, 77, 32}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 4, 24, 8, 8}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  model->options().spatialNormAcrossFrames = true;  // the original v1 UNet's resnet norms
  auto across = model(torch::randn({1, 4, 4, 8, 8}), torch::tensor({500}), torch::randn({1, 77, 32}));
  EXPECT_TRUE(torch::isfinite(across).all().item<bool>());
}

TEST(UNet3D, FramesBeyondMaxSeqLengthThrowConfigError) {
  auto v1 = loadUNet3D(kPipeline, fixture("mm_tiny_v1_original.ckpt"));
  torch::NoGradGuard noGrad;
  EXPECT_THROW(v1(torch::zeros({1, 4, 25, 8, 8}), torch::tensor({1}), torch::zeros({1, 77, 32})), ConfigError);
  auto v2 = loadUNet3D(kPipeline, kAdapterV2);
  EXPECT_THROW(v2(torch::zeros({1, 4, 33, 8, 8}), torch::tensor({1}), torch::zeros({1, 77, 32})), ConfigError);
}

TEST(UNet3D, ImageModeEqualsUNet2D) {
  auto video = loadUNet3D(kPipeline, kAdapterV2);
  auto plain = loadUNet3D(kPipeline, "");
  auto ref = test::readTensors(data("parity/unet2d.safetensors"));
  EXPECT_TRUE(torch::equal(run(video, ref), run(plain, ref)));
  // Without motion modules a video is the image UNet applied to each frame.
  torch::NoGradGuard noGrad;
  auto frames = torch::stack({ref.at("sample"), ref.at("sample").flip(0)}, 2);  // [2, 4, 2, 8, 8]
  auto out = plain(frames, ref.at("timestep"), ref.at("encoder_hidden_states"));
  EXPECT_LE(test::maxAbsDiff(out.select(2, 0), ref.at("out")), 1e-5);
}

TEST(UNet3D, SpatialNormAcrossFramesOnlyChangesVideos) {
  auto model = loadUNet3D(kPipeline, kAdapterV2);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  auto ref2d = test::readTensors(data("parity/unet2d.safetensors"));
  auto perFrame = run(model, ref, "sample_2frames");
  auto image = run(model, ref2d);
  model->options().spatialNormAcrossFrames = true;
  EXPECT_GT(test::maxAbsDiff(run(model, ref, "sample_2frames"), perFrame), 1e-4);
  EXPECT_TRUE(torch::equal(run(model, ref2d), image));
}

TEST(UNet3D, ControlNetResidualsAreAddedToSkipsAndMid) {
  auto model = loadUNet3D(kPipeline, kAdapterV2);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  torch::NoGradGuard noGrad;
  const auto& sample = ref.at("sample_2frames");
  models::ControlNetResiduals zeros;
  // Skip tensors of the tiny UNet at 8x8: channels 8 (x3), 16 (x3), 24 (x3), 24 (x3); sizes halve per level.
  const std::vector<std::pair<int64_t, int64_t>> skips{{8, 8},  {8, 8},  {8, 8},  {8, 4},  {16, 4}, {16, 4},
                                                       {16, 2}, {24, 2}, {24, 2}, {24, 1}, {24, 1}, {24, 1}};
  for (const auto& [c, s] : skips) zeros.down.push_back(torch::zeros({2, c, s, s}));
  zeros.mid = torch::zeros({1, 24, 2, 1, 1});  // [b, c, f, h, w] is folded too
  auto base = run(model, ref, "sample_2frames");
  EXPECT_TRUE(torch::equal(model(sample, ref.at("timestep"), ref.at("encoder_hidden_states"), &zeros), base));
  zeros.mid = torch::ones({2, 24, 1, 1});
  EXPECT_GT(test::maxAbsDiff(model(sample, ref.at("timestep"), ref.at("encoder_hidden_states"), &zeros), base), 1e-4);
  zeros.down.pop_back();
  EXPECT_ANY_THROW(model(sample, ref.at("timestep"), ref.at("encoder_hidden_states"), &zeros));
}

TEST(UNet3D, BFloat16OnCpuIsCloseToFloat32) {
  UNet3DLoadOptions options;
  options.dtype = torch::kBFloat16;
  auto bf16 = loadUNet3D(kPipeline, kAdapterV2, options);
  auto ref = test::readTensors(data("parity/unet_motion_v2.safetensors"));
  torch::NoGradGuard noGrad;
  auto out = bf16(ref.at("sample").to(torch::kBFloat16), ref.at("timestep"),
                  ref.at("encoder_hidden_states").to(torch::kBFloat16));
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  const float err = test::maxAbsDiff(out, ref.at("out"));
  const float scale = ref.at("out").abs().max().item<float>();
  std::printf("[ UNet3D v2 bf16 ] max |bf16 - fp32 reference| = %.3g (output max %.3g)\n", err, scale);
  EXPECT_LE(err, 0.1 * scale);
}

TEST(UNet3D, ParametersAreTheConfigsExpectedTensors) {
  models::UNetConfig config = tinyUNetConfig();
  const std::string adapterConfig = kAdapterV2 + "/config.json";
  auto motion = models::MotionModuleConfig::fromJson(models::readJsonFile(adapterConfig), adapterConfig);
  models::UNet3D model(config, motion);
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& t : config.expectedTensors()) expected[t.name] = t.shape;
  for (const auto& t : motion.expectedTensors()) expected[t.name] = t.shape;
  std::map<std::string, std::vector<int64_t>> got;
  for (const auto& p : model->named_parameters()) got[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(got, expected);
  // The buffers are the position tables, one per transformer block: [1, max_seq_length, channels].
  size_t tables = 0;
  for (const auto& b : model->named_buffers()) {
    const std::string& key = b.key();
    const auto block = key.find(".transformer_blocks.");
    ASSERT_NE(key.find(".pos_embed.pe"), std::string::npos) << key;
    ASSERT_NE(block, std::string::npos) << key;
    const int64_t channels = expected.at(key.substr(0, block) + ".proj_in.weight")[0];
    EXPECT_EQ(b.value().sizes().vec(), (std::vector<int64_t>{1, motion.motion_max_seq_length, channels})) << key;
    ++tables;
  }
  EXPECT_EQ(tables, 21u);  // v2: 21 motion modules of one block
}

TEST(UNet3D, LoaderErrorsNameTheProblem) {
  EXPECT_THROW(loadUNet3D(fixture("no_such_model"), ""), CheckpointError);
  EXPECT_THROW(loadUNet3D(kPipeline, fixture("lora_tiny_kohya.safetensors")), CheckpointError);
  UNet3DLoadOptions wrong;
  wrong.unetConfig = tinyUNetConfig();
  wrong.unetConfig->cross_attention_dim = 40;
  EXPECT_THROW(loadUNet3D(kPipeline, "", wrong), ShapeError);
  UNet3DLoadOptions misfit;
  misfit.motionConfig = models::MotionModuleConfig{};  // SD 1.5 sizes against the tiny UNet
  try {                                                // the motion module is the file that does not fit: named
    loadUNet3D(kPipeline, kAdapterV2, misfit);
    ADD_FAILURE() << "a motion module of other widths was loaded";
  } catch (const CheckpointError& e) {
    EXPECT_NE(e.path().find("motion_adapter_tiny_v2_diffusers"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("do not fit"), std::string::npos) << e.what();
  }
}

TEST(Motion, ConfigFromJsonAgreesWithInferenceFromWeights) {
  const std::string path = kAdapterV2 + "/config.json";
  auto fromJson = models::MotionModuleConfig::fromJson(models::readJsonFile(path), path);
  auto inferred = models::MotionModuleConfig::inferFromWeights(
      io::readSafetensors(kAdapterV2 + "/diffusion_pytorch_model.safetensors"));
  EXPECT_EQ(inferred.block_out_channels, fromJson.block_out_channels);
  EXPECT_EQ(inferred.motion_layers_per_block, fromJson.motion_layers_per_block);
  EXPECT_EQ(inferred.use_motion_mid_block, fromJson.use_motion_mid_block);
  EXPECT_EQ(inferred.motion_max_seq_length, fromJson.motion_max_seq_length);
  EXPECT_EQ(inferred.version, models::MotionModuleVersion::V2);
  auto v3 = models::MotionModuleConfig::inferFromWeights(io::readSafetensors(kV3Diffusers));
  EXPECT_EQ(v3.version, models::MotionModuleVersion::V3);
  EXPECT_FALSE(v3.use_motion_mid_block);
  EXPECT_EQ(v3.motion_max_seq_length, 32);
  EXPECT_EQ(v3.expectedTensors().size(), 20u * 26u);  // 20 modules of 26 parameters
}

TEST(Motion, PositionTableEqualsTheFilesTable) {
  auto file = test::readTensors(kV3Diffusers);
  const auto& pe = file.at("down_blocks.1.motion_modules.0.transformer_blocks.0.pos_embed.pe");  // [1, 32, 16]
  EXPECT_LE(test::maxAbsDiff(nn::sinusoidalPositions(32, 16), pe), 1e-6);
  auto table = nn::sinusoidalPositions(4, 8);
  EXPECT_FLOAT_EQ(table[0][3][2].item<float>(), static_cast<float>(std::sin(3 * std::exp(-2 * std::log(10000.0) / 8))));
  EXPECT_FLOAT_EQ(table[0][3][3].item<float>(), static_cast<float>(std::cos(3 * std::exp(-2 * std::log(10000.0) / 8))));
}

TEST(Motion, ModuleChecksFramesAndNormalisesAcrossFrames) {
  torch::manual_seed(0);
  models::AnimateDiffTransformer3D mm(models::MotionModuleOptions{16, 4, 4, 1, 8});
  torch::NoGradGuard noGrad;
  EXPECT_THROW(mm(torch::randn({9, 16, 2, 2}), 9), ConfigError);
  auto x = torch::randn({2 * 3, 16, 2, 2});
  auto out = mm(x, 3);
  EXPECT_EQ(out.sizes(), x.sizes());
  // proj_out zeroed: the module is the identity whatever the norm (AnimateDiff's initial state).
  mm->proj_out->weight.zero_();
  mm->proj_out->bias.zero_();
  EXPECT_TRUE(torch::equal(mm(x, 3), x));
  EXPECT_TRUE(torch::equal(mm(x, 3, /*normPerFrame=*/true), x));
}

}  // namespace
}  // namespace sm
