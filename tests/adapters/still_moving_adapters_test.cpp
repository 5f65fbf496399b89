// The Motion Adapter and the Spatial Adapters on the tiny UNet: a fresh
// adapter or scale 0 changes no bit, the update is linear in the scale,
// merged equals unmerged, files round-trip and refuse the wrong model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <regex>

#include "core/adapters/model_fingerprint.h"
#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/models/unet/unet_loader.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"
#include "tests/tensor_test_util.h"

namespace sm::adapters {
namespace {

std::string fixture(const std::string& name) { return std::string(SM_TEST_DATA_DIR) + "/fixtures/" + name; }

models::UNet3D tinyUNet(const std::string& motion = fixture("motion_adapter_tiny_v2_diffusers")) {
  models::UNet3D unet = models::loadUNet3D(fixture("sd15_tiny_diffusers"), motion);
  unet->eval();
  return unet;
}

struct Inputs {
  torch::Tensor sample, timestep, context;
};

Inputs inputs(models::UNet3D& unet) {
  torch::manual_seed(7);
  const int64_t ctx = unet->config().cross_attention_dim;
  return {torch::randn({1, 4, 4, 8, 8}), torch::tensor(421), torch::randn({1, 77, ctx})};
}

torch::Tensor run(models::UNet3D& unet, const Inputs& in) {
  torch::NoGradGuard noGrad;
  return unet->forward(in.sample, in.timestep, in.context);
}

/// Gives every B a random value, so the adapter does something.
void randomizeUp(const LowRankAdapter& adapter, double stddev = 0.05) {
  torch::NoGradGuard noGrad;
  torch::manual_seed(11);
  for (auto& [name, t] : adapter.parameters())
    if (name.find(".lora_B.") != std::string::npos) t.copy_(torch::randn_like(t) * stddev);
}

TEST(MotionAdapter, AdaptsQKVAndOutOfEveryTemporalAttentionOnly) {
  models::UNet3D unet = tinyUNet();
  auto adapter = MotionAdapter::create(unet, {.rank = 4, .seed = 1});
  size_t temporal = 0;
  for (const auto& item : unet->named_modules("", false))
    if (item.key().find(".motion_modules.") != std::string::npos &&
        std::regex_match(item.key(), std::regex(R"(.*attn\d\.(to_q|to_k|to_v|to_out\.0))")))
      ++temporal;
  EXPECT_GT(temporal, 0u);
  EXPECT_EQ(adapter->layerCount(), temporal);
  for (const auto& [name, t] : adapter->parameters()) {
    EXPECT_NE(name.find(".motion_modules."), std::string::npos) << name;
    if (name.find(".lora_B.") != std::string::npos) EXPECT_EQ(t.abs().max().item<float>(), 0.0f) << name;
    if (name.find(".lora_A.") != std::string::npos) EXPECT_GT(t.abs().max().item<float>(), 0.0f) << name;
  }
  EXPECT_EQ(adapter->metadata().rank, 4);
  EXPECT_FALSE(adapter->metadata().motionFingerprint.empty());
}

TEST(MotionAdapter, FreshAdapterOrScaleZeroChangesNoOutputBit) {
  models::UNet3D unet = tinyUNet();
  const Inputs in = inputs(unet);
  const torch::Tensor plain = run(unet, in);
  auto adapter = MotionAdapter::create(unet, {.rank = 4, .seed = 1});
  adapter->attach(unet);
  for (double a : {1.0, -2.0, 2.0}) {
    adapter->setScale(a);
    EXPECT_TRUE(torch::equal(run(unet, in), plain)) << "fresh adapter at a = " << a;
  }
  randomizeUp(*adapter);
  adapter->setScale(1.0);
  EXPECT_FALSE(torch::equal(run(unet, in), plain));  // trained-like: it acts
  adapter->setScale(0.0);
  EXPECT_TRUE(torch::equal(run(unet, in), plain));
  adapter->setScale(1.0);
  adapter->detach(unet);
  EXPECT_TRUE(torch::equal(run(unet, in), plain));  // detached: the UNet as before
}

TEST(MotionAdapter, UpdateIsLinearInTheScale) {
  models::UNet3D unet = tinyUNet();
  auto adapter = MotionAdapter::create(unet, {.rank = 4, .seed = 1});
  randomizeUp(*adapter, 0.2);
  adapter->attach(unet);
  // The layer-level update a B A x is linear in a (the network around it is not).
  const std::string path = "down_blocks.0.motion_modules.0.transformer_blocks.0.attn1.to_q";
  std::shared_ptr<nn::AdaptableLinearImpl> layer;
  for (const auto& item : unet->named_modules("", false))
    if (item.key() == path) layer = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(item.value());
  ASSERT_TRUE(layer);
  torch::NoGradGuard noGrad;
  const torch::Tensor x = torch::randn({3, 5, layer->weight.size(1)});
  auto at = [&](double a) {
    adapter->setScale(a);
    return layer->forward(x).to(torch::kDouble);
  };
  const torch::Tensor base = at(0.0), one = at(1.0);
  EXPECT_GT((one - base).abs().max().item<double>(), 1e-3);
  for (double a : {-2.0, -0.5, 0.25, 2.0})
    EXPECT_LT((at(a) - base - a * (one - base)).abs().max().item<double>(), 1e-5);
}

TEST(MotionAdapter, MergedEqualsUnmerged) {
  models::UNet3D unet = tinyUNet();
  const Inputs in = inputs(unet);
  auto adapter = MotionAdapter::create(unet, {.rank = 4, .seed = 1});
  randomizeUp(*adapter);
  adapter->attach(unet);
  adapter->setScale(-1.5);
  const torch::Tensor unmerged = run(unet, in);
  adapter->merge(unet);
  EXPECT_TRUE(adapter->merged());
  EXPECT_FALSE(adapter->attached());
  const torch::Tensor merged = run(unet, in);
  test::reportError("motion adapter merged vs unmerged", test::maxAbsDiff(merged, unmerged));
  EXPECT_LT(test::maxAbsDiff(merged, unmerged), 1e-4);
  EXPECT_THROW(adapter->setScale(1.0), ConfigError);  // baked in
}

TEST(SpatialAdapters, GroupsSelectTheSpatialLinearAndConvLayers) {
  models::UNet3D unet = tinyUNet();
  auto all = SpatialAdapters::create(unet, {.rank = 4});
  size_t adaptable = 0;
  for (const auto& item : unet->named_modules("", false)) {
    const bool layer = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(item.value()) ||
                       std::dynamic_pointer_cast<nn::AdaptableConv2dImpl>(item.value());
    if (layer && item.key().find(".motion_modules.") == std::string::npos) ++adaptable;
  }
  EXPECT_EQ(all->layerCount(), adaptable);  // every spatial Linear and Conv2d
  size_t sum = 0;
  for (const std::string& group : spatialAdapterGroups()) {
    auto some = SpatialAdapters::create(unet, {.rank = 4, .groups = {group}});
    EXPECT_GT(some->layerCount(), 0u) << group;
    sum += some->layerCount();
    EXPECT_EQ(some->metadata().targets, group);
  }
  EXPECT_EQ(sum, all->layerCount());
  EXPECT_EQ(spatialAdapterGroup("down_blocks.1.resnets.0.conv_shortcut"), "resnets");
  EXPECT_EQ(spatialAdapterGroup("up_blocks.1.attentions.2.transformer_blocks.0.ff.net.0.proj"), "feed-forward");
  EXPECT_EQ(spatialAdapterGroup("down_blocks.0.motion_modules.0.proj_in"), std::nullopt);
  EXPECT_THROW(SpatialAdapters::create(unet, {.rank = 4, .groups = {"everything"}}), ConfigError);
  EXPECT_THROW(SpatialAdapters::create(unet, {.rank = 0}), ConfigError);
}

TEST(SpatialAdapters, FreshChangesNothingTrainedActsAndMergedEqualsUnmerged) {
  models::UNet3D unet = tinyUNet();
  const Inputs in = inputs(unet);
  const torch::Tensor plain = run(unet, in);
  auto adapters = SpatialAdapters::create(unet, {.rank = 4, .seed = 3});
  adapters->attach(unet);
  EXPECT_TRUE(torch::equal(run(unet, in), plain));
  randomizeUp(*adapters);
  const torch::Tensor unmerged = run(unet, in);
  EXPECT_GT(test::maxAbsDiff(unmerged, plain), 1e-3);
  adapters->merge(unet);
  const torch::Tensor merged = run(unet, in);
  test::reportError("spatial adapters merged vs unmerged", test::maxAbsDiff(merged, unmerged));
  EXPECT_LT(test::maxAbsDiff(merged, unmerged), 1e-4);
}

TEST(Adapters, SaveLoadRoundTripsAndRefusesTheWrongModel) {
  test::TempDir dir("sm_adapters");
  models::UNet3D unet = tinyUNet();
  const Inputs in = inputs(unet);
  auto motion = MotionAdapter::create(unet, {.rank = 4, .seed = 1});
  auto spatial = SpatialAdapters::create(unet, {.rank = 2, .groups = {"attention", "resnets"}, .seed = 2});
  randomizeUp(*motion);
  randomizeUp(*spatial);
  motion->metadata().training = R"({"steps": 3})";
  const std::string motionPath = dir.file("motion.safetensors");
  const std::string spatialPath = dir.file("spatial.safetensors");
  motion->save(motionPath);
  spatial->save(spatialPath);
  motion->attach(unet);
  spatial->attach(unet);
  motion->setScale(0.5);
  const torch::Tensor before = run(unet, in);
  motion->detach(unet);
  spatial->detach(unet);

  auto motion2 = loadMotionAdapter(motionPath);
  auto spatial2 = loadSpatialAdapters(spatialPath);
  EXPECT_EQ(motion2->kind(), AdapterKind::Motion);
  EXPECT_EQ(motion2->metadata().rank, 4);
  EXPECT_EQ(motion2->metadata().training, R"({"steps": 3})");
  EXPECT_EQ(spatial2->metadata().targets, "attention,resnets");
  EXPECT_TRUE(spatial2->metadata().baseFingerprint.matches(spatial->metadata().baseFingerprint));
  motion2->attach(unet);
  spatial2->attach(unet);
  motion2->setScale(0.5);
  EXPECT_TRUE(torch::equal(run(unet, in), before));
  motion2->detach(unet);
  spatial2->detach(unet);

  EXPECT_THROW(loadSpatialAdapters(motionPath), CheckpointError);                           // wrong kind
  EXPECT_THROW(loadMotionAdapter(fixture("lora_tiny_peft.safetensors")), CheckpointError);  // not ours

  // Another motion module: the Motion Adapter is refused with a message saying so.
  models::UNet3D other = tinyUNet(fixture("mm_tiny_v3_diffusers.safetensors"));
  try {
    loadMotionAdapter(motionPath)->attach(other);
    FAIL() << "attached to another motion module";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("motion module"), std::string::npos) << e.what();
  }
  // Other spatial weights (a customized model): Spatial Adapters are refused,
  // the Motion Adapter (trained on the base, used over customized weights) is not.
  {
    torch::NoGradGuard noGrad;
    unet->conv_in->weight.add_(0.01);
  }
  try {
    loadSpatialAdapters(spatialPath)->attach(unet);
    FAIL() << "attached to other spatial weights";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("another text-to-image model"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(loadMotionAdapter(motionPath)->attach(unet));
}

TEST(Fingerprint, SameModelInAnotherPrecisionMatchesAnotherModelDoesNot) {
  models::UNet3D unet = tinyUNet();
  const UNetFingerprint fp32 = fingerprintUNet(*unet);
  EXPECT_EQ(fp32.spatial.toString().size(), 64u);
  EXPECT_TRUE(Fingerprint::parse(fp32.spatial.toString()).matches(fp32.spatial));
  models::UNet3D half = tinyUNet();
  half->to(torch::kFloat16);
  EXPECT_TRUE(fingerprintUNet(*half).spatial.matches(fp32.spatial));
  EXPECT_TRUE(fingerprintUNet(*half).motion.matches(fp32.motion));
  models::UNet3D bf16 = tinyUNet();
  bf16->to(torch::kBFloat16);
  EXPECT_TRUE(fingerprintUNet(*bf16).spatial.matches(fp32.spatial));
  models::UNet3D other = tinyUNet(fixture("mm_tiny_v3_diffusers.safetensors"));
  EXPECT_FALSE(fingerprintUNet(*other).motion.matches(fp32.motion));
  EXPECT_TRUE(fingerprintUNet(*other).spatial.matches(fp32.spatial));  // same base
}

TEST(Adapters, MalformedFilesAreRefusedNamingTheFile) {
  test::TempDir dir("sm_adapters");
  models::UNet3D unet = tinyUNet();
  auto motion = MotionAdapter::create(unet, {.rank = 2});
  engine::NamedTensors tensors = motion->parameters();
  tensors.pop_back();  // a lora_A without its lora_B
  const std::string path = dir.file("broken.safetensors");
  engine::writeTensors(path, tensors,
                       {{"format", "stillmoving-adapter"}, {"format_version", "1"}, {"kind", "motion-adapter"}});
  try {
    LowRankAdapter::load(path);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), path);
  }
  engine::writeTensors(path, motion->parameters(),
                       {{"format", "stillmoving-adapter"}, {"format_version", "9"}, {"kind", "motion-adapter"}});
  EXPECT_THROW(LowRankAdapter::load(path), CheckpointError);
}

}  // namespace
}  // namespace sm::adapters
