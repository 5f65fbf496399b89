// Saving tiny random models as a diffusers pipeline folder, an LDM single file
// and a diffusers MotionAdapter folder, then loading them back the way
// `stillmoving generate` does (pipelines::loadBasePipeline) and per model.
#include "core/models/model_export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "core/io/model_opener.h"
#include "core/models/unet/unet_loader.h"
#include "core/pipelines/pipeline_loading.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

const std::string kTokenizer = std::string(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_diffusers/tokenizer";

// Sizes an LDM file's inferred configs agree with: 64-wide CLIP heads, 8 UNet
// heads, 32 norm groups (the largest divisor up to 32 of every width).
struct TinyModels {
  models::UNet3D unet{nullptr};
  models::AutoencoderKL vae{nullptr};
  models::CLIPTextModel text{nullptr};
};

void randomize(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard noGrad;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& p : module.parameters()) p.copy_(torch::randn(p.sizes(), generator) * 0.1);
}

TinyModels tinyModels() {
  models::UNetConfig unet;
  unet.block_out_channels = {64, 64, 64, 64};
  unet.layers_per_block = 1;
  unet.cross_attention_dim = 128;
  unet.sample_size = 8;
  models::MotionModuleConfig motion;
  motion.block_out_channels = unet.block_out_channels;
  motion.motion_layers_per_block = 1;
  models::VAEConfig vae;
  vae.block_out_channels = {32, 32, 32, 32};
  vae.layers_per_block = 1;
  models::CLIPTextConfig text;
  text.vocab_size = 1000;  // the fixture tokenizer's
  text.hidden_size = 128;
  text.num_attention_heads = 2;
  text.intermediate_size = 256;
  text.num_hidden_layers = 2;
  TinyModels m{models::UNet3D(unet, motion), models::AutoencoderKL(vae), models::CLIPTextModel(text)};
  randomize(*m.unet, 1);
  randomize(*m.vae, 2);
  randomize(*m.text, 3);
  return m;
}

std::map<std::string, torch::Tensor> tensorsOf(torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : module.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) out[b.key()] = b.value();
  return out;
}

// Every tensor of `loaded` is `original`'s: equal (fp32) or within fp16 rounding.
void expectSameTensors(torch::nn::Module& original, torch::nn::Module& loaded, bool exact, const char* what) {
  const auto want = tensorsOf(original);
  const auto got = tensorsOf(loaded);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (const auto& [name, tensor] : want) {
    const auto it = got.find(name);
    ASSERT_NE(it, got.end()) << what << ": " << name;
    const torch::Tensor a = tensor.to(torch::kFloat32), b = it->second.to(torch::kFloat32);
    if (exact)
      EXPECT_TRUE(torch::equal(a, b)) << what << ": " << name;
    else
      EXPECT_TRUE(torch::allclose(a, b, 1e-3, 1e-4)) << what << ": " << name;
  }
}

pipelines::BasePipeline load(const std::string& base, const std::string& motion, const std::string& tokenizer) {
  pipelines::ModelSet sources;
  sources.base = base;
  sources.motionModule = motion;
  sources.tokenizer = tokenizer;
  int done = 0;
  return pipelines::loadBasePipeline(sources, {}, jobs::silentJob(), &done);
}

void expectLoadsBack(TinyModels& m, const pipelines::BasePipeline& loaded, bool exact) {
  expectSameTensors(*m.unet, *loaded.pipeline->unet(), exact, "UNet3D");
  expectSameTensors(*m.vae, *loaded.pipeline->vae(), exact, "VAE");
  expectSameTensors(*m.text, *loaded.pipeline->textEncoder(), exact, "text encoder");
}

class ModelExport : public ::testing::TestWithParam<torch::Dtype> {};

TEST_P(ModelExport, DiffusersFolderAndMotionAdapterLoadBack) {
  TinyModels m = tinyModels();
  test::TempDir dir("model_export");
  const auto pipeline = dir.path() / "pipeline", adapter = dir.path() / "motion_adapter";
  models::writeDiffusersPipeline(pipeline, *m.unet, *m.vae, *m.text, kTokenizer, GetParam());
  models::writeMotionAdapter(adapter, *m.unet, GetParam());
  for (const char* file :
       {"model_index.json", "scheduler/scheduler_config.json", "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors",
        "text_encoder/config.json", "text_encoder/model.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt"})
    EXPECT_TRUE(std::filesystem::is_regular_file(pipeline / file)) << file;
  // Nothing but the two results: no staging folder left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);

  const io::OpenedModel base = io::openSDModel(pipeline.string());
  const io::OpenedComponent* unet = base.find(io::ModelKind::UNet);
  ASSERT_NE(unet, nullptr);
  for (const auto& t : unet->weights->tensors()) EXPECT_EQ(t.name.find("motion_modules"), std::string::npos) << t.name;
  const io::OpenedModel motion = io::openModel(adapter.string());
  ASSERT_NE(motion.find(io::ModelKind::MotionModule), nullptr);

  const pipelines::BasePipeline loaded = load(pipeline.string(), adapter.string(), "");
  expectLoadsBack(m, loaded, GetParam() == torch::kFloat32);
  EXPECT_EQ(loaded.pipeline->unet()->config(), m.unet->config());
  EXPECT_EQ(loaded.pipeline->vae()->config(), m.vae->config());
  EXPECT_EQ(loaded.pipeline->textEncoder()->config(), m.text->config());
  EXPECT_EQ(loaded.pipeline->tokenizer().vocabSize(), 1000u);
}

TEST_P(ModelExport, LdmCheckpointLoadsBack) {
  TinyModels m = tinyModels();
  test::TempDir dir("model_export");
  const std::string file = dir.file("tiny.safetensors");
  models::writeLdmCheckpoint(file, *m.unet, *m.vae, *m.text, GetParam());
  models::writeMotionAdapter(dir.path() / "motion_adapter", *m.unet, GetParam());

  const io::OpenedModel opened = io::openSDModel(file);
  EXPECT_EQ(opened.find(io::ModelKind::UNet)->naming, "ldm");
  // A single file brings no tokenizer: a small vocabulary must be given.
  const pipelines::BasePipeline loaded = load(file, dir.file("motion_adapter"), kTokenizer);
  expectLoadsBack(m, loaded, GetParam() == torch::kFloat32);
  // Per-model loader: the spatial UNet alone.
  models::UNet3D unet = models::loadUNet3D(file, "");
  EXPECT_FALSE(unet->hasMotionModules());
  EXPECT_EQ(unet->config().block_out_channels, m.unet->config().block_out_channels);
}

TEST_P(ModelExport, LdmUNetAloneLoadsBackAsASpatialUNet) {
  TinyModels m = tinyModels();
  test::TempDir dir("model_export");
  const std::string file = dir.file("unet.safetensors");
  models::writeLdmUNet(file, *m.unet, GetParam());
  const io::OpenedModel opened = io::openSDModel(file);
  ASSERT_NE(opened.find(io::ModelKind::UNet), nullptr);
  EXPECT_EQ(opened.find(io::ModelKind::UNet)->naming, "ldm");
  EXPECT_EQ(opened.find(io::ModelKind::VAE), nullptr);
  models::UNet3D unet = models::loadUNet3D(file, "");
  EXPECT_FALSE(unet->hasMotionModules());
  // Every spatial tensor round-trips (the motion modules are not in the file).
  const auto want = tensorsOf(*m.unet);
  size_t compared = 0;
  for (const auto& [name, tensor] : tensorsOf(*unet)) {
    const auto it = want.find(name);
    ASSERT_NE(it, want.end()) << name;
    EXPECT_TRUE(torch::allclose(tensor.to(torch::kFloat32), it->second.to(torch::kFloat32), 1e-3, 1e-4)) << name;
    ++compared;
  }
  EXPECT_GT(compared, 10u);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ModelExport, ::testing::Values(torch::kFloat32, torch::kFloat16),
                         [](const auto& info) { return info.param == torch::kFloat32 ? "fp32" : "fp16"; });

TEST(ModelExportErrors, MotionAdapterNeedsMotionModulesAndDtypeIsChecked) {
  models::UNetConfig config;
  config.block_out_channels = {32, 32};
  config.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
  config.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
  config.attention_head_dim = {8, 8};
  config.layers_per_block = 1;
  config.cross_attention_dim = 32;
  models::UNet3D unet(config);
  test::TempDir dir("model_export");
  EXPECT_THROW(models::writeMotionAdapter(dir.path() / "adapter", *unet, torch::kFloat32), ConfigError);
  EXPECT_THROW(models::writeMotionAdapter(dir.path() / "adapter", *unet, torch::kInt32), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "adapter"));
}

}  // namespace
}  // namespace sm
