#pragma once
// The tiny fixture pipeline (tests/data/fixtures: sd15_tiny_diffusers +
// motion_adapter_tiny_v2_diffusers), loaded once per test binary.
#include <string>

#include "core/pipelines/animatediff_pipeline.h"

namespace sm::test {

inline std::string fixture(const std::string& name) { return std::string(SM_TEST_DATA_DIR) + "/fixtures/" + name; }

inline pipelines::ModelSet tinySources() {
  pipelines::ModelSet s;
  s.base = fixture("sd15_tiny_diffusers");
  s.motionModule = fixture("motion_adapter_tiny_v2_diffusers");
  return s;
}

inline pipelines::AnimateDiffPipeline& tinyPipeline() {
  static auto pipeline = pipelines::AnimateDiffPipeline::load(tinySources(), {});
  return *pipeline;
}

}  // namespace sm::test
