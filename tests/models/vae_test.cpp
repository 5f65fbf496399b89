#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "core/engine/tensor_loader.h"
#include "core/io/state_dict_reader.h"
#include "core/models/config_json.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/util/error.h"
#include "tests/keylist.h"
#include "tests/tensor_test_util.h"

namespace sm::models {
namespace {

const std::string kData = SM_TEST_DATA_DIR;
const std::string kVaeFolder = kData + "/fixtures/sd15_tiny_diffusers/vae";
const std::string kLdmFile = kData + "/fixtures/sd15_tiny_ldm.safetensors";
const std::string kParityFile = kData + "/parity/vae.safetensors";

VAEConfig folderConfig() {
  const std::string path = kVaeFolder + "/config.json";
  return VAEConfig::fromJson(readJsonFile(path), path);
}

torch::Tensor sampleImage(int64_t batch, int64_t size = 32) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  return torch::rand({batch, 3, size, size}, gen) * 2 - 1;
}

torch::Tensor sampleLatents(int64_t batch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12);
  return torch::randn({batch, 4, 4, 4}, gen);
}

TEST(AutoencoderKL, ParametersMatchExpectedTensors) {
  for (bool attention : {true, false}) {
    VAEConfig config = folderConfig();
    config.mid_block_add_attention = attention;
    AutoencoderKL model(config);
    std::map<std::string, std::vector<int64_t>> got;
    for (const auto& p : model->named_parameters()) got[p.key()] = p.value().sizes().vec();
    std::map<std::string, std::vector<int64_t>> expected;
    for (const auto& t : config.expectedTensors()) expected[t.name] = t.shape;
    EXPECT_EQ(got, expected) << "mid_block_add_attention " << attention;
  }
  // SD 1.5 size: 248 tensors, 83,653,863 parameters.
  AutoencoderKL sd15{VAEConfig{}};
  int64_t count = 0;
  for (const auto& p : sd15->parameters()) count += p.numel();
  EXPECT_EQ(sd15->parameters().size(), 248u);
  EXPECT_EQ(count, 83653863);
}

TEST(AutoencoderKL, ParityWithDiffusersFp32) {
  torch::NoGradGuard noGrad;
  auto ref = test::readTensors(kParityFile);
  for (const char* name : {"image", "latent_mean", "latent_logvar", "decoded", "decoded_from_z"})
    ASSERT_TRUE(ref.count(name)) << name;
  AutoencoderKL vae = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kFloat);
  const torch::Tensor image = ref["image"].to(torch::kFloat);

  const torch::Tensor moments = vae->encodeMoments(image);
  const int64_t latent = vae->config().latent_channels;
  const torch::Tensor mean = moments.narrow(1, 0, latent);
  const torch::Tensor logvar = moments.narrow(1, latent, latent).clamp(-30.0, 20.0);
  ASSERT_EQ(mean.sizes(), ref["latent_mean"].sizes());
  const double meanError = test::maxAbsDiff(mean, ref["latent_mean"]);
  const double logvarError = test::maxAbsDiff(logvar, ref["latent_logvar"]);
  test::reportError("vae_latent_mean", meanError);
  test::reportError("vae_latent_logvar", logvarError);
  EXPECT_LE(meanError, 1e-4);
  EXPECT_LE(logvarError, 1e-4);
  EXPECT_TRUE(torch::equal(vae->encodeMean(image), mean));

  // decoded = decode(latent mean): compare from our own mean and from the reference's.
  const torch::Tensor decoded = vae->decode(ref["latent_mean"]);
  ASSERT_EQ(decoded.sizes(), ref["decoded"].sizes());
  const double decodedError = test::maxAbsDiff(decoded, ref["decoded"]);
  test::reportError("vae_decoded", decodedError);
  EXPECT_LE(decodedError, 1e-4);
  const double roundTripError = test::maxAbsDiff(vae->decode(mean), ref["decoded"]);
  test::reportError("vae_encode_decode", roundTripError);
  EXPECT_LE(roundTripError, 1e-4);

  ASSERT_TRUE(ref.count("z")) << "decoded_from_z needs its input z";
  const double fromZError = test::maxAbsDiff(vae->decode(ref["z"].to(torch::kFloat)), ref["decoded_from_z"]);
  test::reportError("vae_decoded_from_z", fromZError);
  EXPECT_LE(fromZError, 1e-4);
}

TEST(AutoencoderKL, LdmSingleFileGivesBitwiseSameOutput) {
  torch::NoGradGuard noGrad;
  AutoencoderKL fromFolder = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kFloat);
  const io::StateDictIndex ldm = io::readStateDict(kLdmFile);
  AutoencoderKL inferred = loadAutoencoderKLFromLdm(ldm, torch::kCPU, torch::kFloat);
  AutoencoderKL given = loadAutoencoderKLFromLdm(ldm, torch::kCPU, torch::kFloat, folderConfig());
  EXPECT_EQ(inferred->config().norm_num_groups, 4);
  EXPECT_EQ(inferred->config().block_out_channels, (std::vector<int>{4, 8, 16, 16}));
  const torch::Tensor image = sampleImage(2);
  const torch::Tensor z = sampleLatents(2);
  const torch::Tensor moments = fromFolder->encodeMoments(image);
  const torch::Tensor decoded = fromFolder->decode(z);
  for (AutoencoderKL* other : {&inferred, &given}) {
    EXPECT_TRUE(torch::equal(moments, (*other)->encodeMoments(image)));
    EXPECT_TRUE(torch::equal(decoded, (*other)->decode(z)));
  }
}

TEST(AutoencoderKL, DecodeSlicedEqualsDecode) {
  torch::NoGradGuard noGrad;
  AutoencoderKL vae = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kFloat);
  const torch::Tensor z = sampleLatents(5);
  const torch::Tensor whole = vae->decode(z);
  EXPECT_EQ(whole.sizes(), (std::vector<int64_t>{5, 3, 32, 32}));
  for (int64_t slice : {1, 2, 5, 8}) {
    const torch::Tensor sliced = vae->decodeSliced(z, slice);
    // Per-sample kernels may pick other blockings for another batch size: allow rounding.
    EXPECT_LE(test::maxAbsDiff(whole, sliced), 1e-5) << "slice " << slice;
  }
  EXPECT_TRUE(torch::equal(
      vae->decodeSliced(z, 1),
      torch::cat({vae->decode(z.narrow(0, 0, 1)), vae->decode(z.narrow(0, 1, 1)), vae->decode(z.narrow(0, 2, 1)),
                  vae->decode(z.narrow(0, 3, 1)), vae->decode(z.narrow(0, 4, 1))})));
  EXPECT_THROW(vae->decodeSliced(z, 0), c10::Error);
}

TEST(AutoencoderKL, EncodeSampleFollowsTheGenerator) {
  torch::NoGradGuard noGrad;
  AutoencoderKL vae = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kFloat);
  const torch::Tensor image = sampleImage(2);
  const torch::Tensor a = vae->encodeSample(image, at::make_generator<at::CPUGeneratorImpl>(42));
  const torch::Tensor b = vae->encodeSample(image, at::make_generator<at::CPUGeneratorImpl>(42));
  const torch::Tensor c = vae->encodeSample(image, at::make_generator<at::CPUGeneratorImpl>(43));
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  // mean + exp(logvar / 2) * eps with eps drawn by torch.randn from the same seed.
  const torch::Tensor moments = vae->encodeMoments(image);
  const torch::Tensor eps = torch::randn({2, 4, 4, 4}, at::make_generator<at::CPUGeneratorImpl>(42));
  const torch::Tensor expected = moments.narrow(1, 0, 4) + (0.5 * moments.narrow(1, 4, 4).clamp(-30, 20)).exp() * eps;
  EXPECT_TRUE(torch::allclose(a, expected, 0, 1e-6));
  // The logvar clamp: a huge logvar gives std exp(10), a tiny one std exp(-15).
  const torch::Tensor extreme = torch::cat({torch::zeros({1, 1, 1, 1}), torch::full({1, 1, 1, 1}, 100.0)}, 1);
  const torch::Tensor s = sampleLatent(extreme, at::make_generator<at::CPUGeneratorImpl>(1));
  const double e = torch::randn({1, 1, 1, 1}, at::make_generator<at::CPUGeneratorImpl>(1)).item<double>();
  EXPECT_NEAR(s.item<double>(), std::exp(10.0) * e, 1e-2);
}

TEST(AutoencoderKL, Bf16OnCpuIsClose) {
  torch::NoGradGuard noGrad;
  AutoencoderKL fp32 = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kFloat);
  AutoencoderKL bf16 = loadAutoencoderKLFromFolder(kVaeFolder, torch::kCPU, torch::kBFloat16);
  for (const auto& p : bf16->parameters()) ASSERT_EQ(p.scalar_type(), torch::kBFloat16);
  const torch::Tensor image = sampleImage(1);
  const torch::Tensor z = sampleLatents(1);
  const torch::Tensor mean = bf16->encodeMean(image.to(torch::kBFloat16));
  const torch::Tensor decoded = bf16->decode(z.to(torch::kBFloat16));
  EXPECT_EQ(decoded.scalar_type(), torch::kBFloat16);
  const torch::Tensor refMean = fp32->encodeMean(image), refDecoded = fp32->decode(z);
  const double meanError = test::maxAbsDiff(mean, refMean);
  const double decodedError = test::maxAbsDiff(decoded, refDecoded);
  test::reportError("vae_bf16_mean_vs_fp32", meanError);
  test::reportError("vae_bf16_decoded_vs_fp32", decodedError);
  test::reportError("vae_bf16_decoded_range", refDecoded.abs().max().item<double>());
  // bf16 keeps ~3 significant digits; a few dozen layers lose about one more.
  EXPECT_LE(meanError, 0.05 * refMean.abs().max().item<double>());
  EXPECT_LE(decodedError, 0.05 * refDecoded.abs().max().item<double>());
  EXPECT_TRUE(bf16->encodeSample(image.to(torch::kBFloat16)).isfinite().all().item<bool>());
}

TEST(AutoencoderKL, MissingKeyThrowsCheckpointErrorNamingIt) {
  const io::StateDictIndex weights = io::readStateDict(kVaeFolder + "/diffusion_pytorch_model.safetensors");
  const std::string key = "decoder.mid_block.attentions.0.to_v.bias";
  try {
    loadAutoencoderKL(test::editedIndex(weights, key, "", {}), folderConfig(), torch::kCPU, torch::kFloat);
    FAIL() << "no CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(AutoencoderKL, WrongShapeThrowsShapeError) {
  const io::StateDictIndex weights = io::readStateDict(kVaeFolder + "/diffusion_pytorch_model.safetensors");
  const std::string key = "encoder.mid_block.attentions.0.to_q.weight";
  try {
    // The unsqueezed LDM conv shape [16, 16, 1, 1]: same bytes, other shape.
    loadAutoencoderKL(test::editedIndex(weights, "", key, {16, 16, 1, 1}), folderConfig(), torch::kCPU, torch::kFloat);
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(e.key(), key);
    EXPECT_EQ(e.expected(), (std::vector<int64_t>{16, 16}));
    EXPECT_EQ(e.got(), (std::vector<int64_t>{16, 16, 1, 1}));
  }
}

TEST(AutoencoderKL, WrongInputChannelsThrow) {
  torch::NoGradGuard noGrad;
  AutoencoderKL vae{folderConfig()};
  EXPECT_THROW(vae->encodeMoments(torch::zeros({1, 4, 16, 16})), c10::Error);
  EXPECT_THROW(vae->decode(torch::zeros({1, 3, 2, 2})), c10::Error);
}

}  // namespace
}  // namespace sm::models
