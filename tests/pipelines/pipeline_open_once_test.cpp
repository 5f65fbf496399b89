// A pipeline load opens each model file exactly once: the UNet, text encoder
// and VAE of a single-file checkpoint share the one opened index (before the
// opener, the base file was parsed twice per load).
#include <gtest/gtest.h>

#include "core/io/state_dict_reader.h"
#include "tests/pipelines/tiny_pipeline.h"

namespace sm {
namespace {

using pipelines::AnimateDiffPipeline;
using pipelines::ModelSet;
using pipelines::PipelineLoadOptions;

uint64_t filesOpenedBy(const ModelSet& sources, const PipelineLoadOptions& options) {
  const uint64_t before = io::stateDictOpenCount();
  auto pipeline = AnimateDiffPipeline::load(sources, options);
  EXPECT_NE(pipeline, nullptr);
  return io::stateDictOpenCount() - before;
}

TEST(PipelineOpenOnce, SingleFileBaseIsOpenedOnce) {
  ModelSet sources;
  sources.base = test::fixture("sd15_tiny_ldm.safetensors");
  sources.motionModule = test::fixture("mm_tiny_v2_original.ckpt");
  sources.tokenizer = test::fixture("sd15_tiny_diffusers/tokenizer");
  PipelineLoadOptions options;  // the tiny configs, which weights cannot show (see animatediff_pipeline_test)
  options.unetConfig = test::tinyPipeline().unet()->config();
  options.textEncoderConfig = test::tinyPipeline().textEncoder()->config();
  options.vaeConfig = test::tinyPipeline().vae()->config();
  EXPECT_EQ(filesOpenedBy(sources, options), 2u);  // the checkpoint and the motion module
  sources.custom = test::fixture("sd15_tiny_ldm.ckpt");
  EXPECT_EQ(filesOpenedBy(sources, options), 3u);  // and the customized model
}

TEST(PipelineOpenOnce, DiffusersFoldersOpenEachWeightsFileOnce) {
  // unet/, text_encoder/, vae/ and the MotionAdapter's weights.
  EXPECT_EQ(filesOpenedBy(test::tinySources(), {}), 4u);
}

}  // namespace
}  // namespace sm
