// LibTorch tensors from the fixture files: values, zero-copy views, dtype
// conversion, threads.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/engine/device.h"
#include "core/engine/runtime.h"
#include "core/engine/tensor_loader.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"
#include "tests/keylist.h"

namespace sm {
namespace {

TEST(TensorLoader, SafetensorsAndCkptOfTheSameWeightsGiveEqualTensors) {
  const auto st = io::readStateDict(test::dataPath("fixtures/sd15_tiny_ldm.safetensors"));
  const auto ck = io::readStateDict(test::dataPath("fixtures/sd15_tiny_ldm.ckpt"));
  const auto a = engine::viewStateDict(st);
  const auto b = engine::viewStateDict(ck);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name;
  }
  const auto& w = a.at("model.diffusion_model.input_blocks.0.0.weight");
  EXPECT_EQ(w.dtype(), torch::kFloat32);
  EXPECT_EQ(w.dim(), 4);
  EXPECT_GT(w.abs().sum().item<float>(), 0.0f);  // random weights, not zeros
}

TEST(TensorLoader, AlignedTensorsAreViewsIntoTheMappedFile) {
  const auto index = io::readStateDict(test::dataPath("fixtures/mm_tiny_v3_original.safetensors"));
  const io::TensorInfo& info = index.tensors().front();
  const torch::Tensor view = engine::viewTensor(info, index.owner);
  EXPECT_EQ(static_cast<const void*>(view.data_ptr()), static_cast<const void*>(info.data + 0));
}

TEST(TensorLoader, Fp16FileConvertsToFloat32CloseToTheFp32File) {
  const auto half = io::readStateDict(test::dataPath("fixtures/sd15_tiny_ldm_fp16.safetensors"));
  const auto full = io::readStateDict(test::dataPath("fixtures/sd15_tiny_ldm.safetensors"));
  const std::string key = "model.diffusion_model.out.2.weight";
  const auto h = engine::loadTensor(*half.find(key), half.owner, torch::kFloat32);
  const auto f = engine::loadTensor(*full.find(key), full.owner, torch::kFloat32);
  EXPECT_EQ(h.dtype(), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(h, f, 1e-3, 1e-3));
  EXPECT_FALSE(torch::equal(h, f));  // it really went through fp16
}

TEST(Runtime, ThreadsDefaultToPhysicalCoresAndHonourAnExplicitCount) {
  EXPECT_EQ(engine::configureThreads(1), 1);
  EXPECT_EQ(engine::configureThreads(0), engine::physicalCoreCount());
  EXPECT_THROW(engine::selectDevice("tpu"), ConfigError);
  EXPECT_EQ(engine::selectDevice("cpu"), torch::Device(torch::kCPU));
}

}  // namespace
}  // namespace sm
