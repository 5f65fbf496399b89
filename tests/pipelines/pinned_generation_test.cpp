// Pins what a CPU generation with a fixed seed produces on the committed tiny
// fixtures: the latents and frames recorded by the engine as it was before the
// spine redesign (issue 11) must come out again, bit for bit, through today's
// path (the compute worker's model cache: staged loading, customization applied
// to a loaded base and undone again).
//
// The reference (tests/data/pinned/generation.safetensors) records the CPU
// kernel family it was made with (ATen's CPU capability: AVX2, AVX512...).
// Different vector widths round differently, so on another CPU family the
// comparison allows a float32 rounding-level difference instead of 0.
//
// To re-record (only when a change of numbers is intended and explained):
//   SM_RECORD_PINNED=1 OMP_NUM_THREADS=1 sm_core_tests --gtest_filter='PinnedGeneration.*'
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/engine/tensor_loader.h"
#include "core/engine/tensor_writer.h"
#include "core/io/state_dict_reader.h"
#include "tests/pipelines/pinned_cases.h"

namespace sm::pipelines {
namespace {

const std::string kReference = std::string(SM_TEST_DATA_DIR) + "/pinned/generation.safetensors";

std::string cpuCapability() { return at::get_cpu_capability(); }

TEST(PinnedGeneration, TodaysPathGivesTheRecordedLatentsAndFrames) {
  std::map<std::string, torch::Tensor> produced;
  // One cache for all cases, as one worker would: the second case customizes the
  // loaded base, and the first case run again must undo that exactly.
  pipelines::ModelCache cache("cpu");
  const std::vector<test::PinnedCase> cases = test::pinnedCases();
  for (const test::PinnedCase& c : cases) {
    const test::PinnedResult r = test::runPinnedCase(c, cache);
    produced[c.name + ".latents"] = r.latents;
    produced[c.name + ".video"] = r.video;
  }
  const test::PinnedResult again = test::runPinnedCase(cases.front(), cache);
  EXPECT_TRUE(torch::equal(again.latents, produced[cases.front().name + ".latents"]));
  EXPECT_TRUE(torch::equal(again.video, produced[cases.front().name + ".video"]));
  EXPECT_EQ(cache.counters().baseLoads, 1);
  if (std::getenv("SM_RECORD_PINNED")) {
    engine::NamedTensors tensors(produced.begin(), produced.end());
    engine::writeTensors(kReference, tensors, {{"cpu_capability", cpuCapability()}});
    GTEST_FAIL() << "recorded " << kReference << " (unset SM_RECORD_PINNED to compare)";
  }
  const io::StateDictIndex reference = io::readStateDict(kReference);
  const bool sameKernels =
      reference.metadata.count("cpu_capability") && reference.metadata.at("cpu_capability") == cpuCapability();
  ASSERT_EQ(reference.size(), produced.size());
  for (const auto& [name, tensor] : produced) {
    const io::TensorInfo* info = reference.find(name);
    ASSERT_NE(info, nullptr) << name;
    const torch::Tensor expected = engine::viewTensor(*info, reference.owner);
    ASSERT_EQ(expected.sizes(), tensor.sizes()) << name;
    if (sameKernels) {
      EXPECT_TRUE(torch::equal(expected, tensor))
          << name << ": max abs difference " << (expected - tensor).abs().max().item<float>();
    } else {
      EXPECT_LE((expected - tensor).abs().max().item<float>(), 1e-4) << name << " (recorded on another CPU family)";
    }
  }
}

}  // namespace
}  // namespace sm::pipelines
