// A ControlNet group's settings: diffusers' guidance window, the type names, and
// the ranges from the settings table.
#include <gtest/gtest.h>

#include "core/control/control_unit.h"
#include "core/util/error.h"

namespace sm::control {
namespace {

TEST(ControlUnit, TheGuidanceWindowIsDiffusers) {
  // 5 steps, window 0.2-0.8: off at step 0 (0/5 < 0.2) and step 4 (5/5 > 0.8).
  std::vector<bool> acts;
  for (int i = 0; i < 5; ++i) acts.push_back(actsAtStep(0.2, 0.8, i, 5));
  EXPECT_EQ(acts, (std::vector<bool>{false, true, true, true, false}));
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(actsAtStep(0.0, 1.0, i, 7));
  EXPECT_FALSE(actsAtStep(0.5, 1.0, 2, 5));  // 0.4 < 0.5
  EXPECT_TRUE(actsAtStep(0.4, 1.0, 2, 5));   // boundaries are inside
}

TEST(ControlUnit, TypesReadBackAndUnknownOnesAreRefused) {
  ASSERT_EQ(controlTypeNames().size(), 4u);
  for (const std::string& name : controlTypeNames()) EXPECT_EQ(controlTypeName(parseControlType(name)), name);
  try {
    parseControlType("depth");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("canny, softedge, gray or raw"), std::string::npos);
  }
}

TEST(ControlUnit, ValidateNamesWhatIsWrong) {
  ControlNetUnit unit;
  unit.controlNet = "c.safetensors";
  unit.video = "v.mp4";
  EXPECT_NO_THROW(unit.validate());
  ControlNetUnit bad = unit;
  bad.start = 0.8;
  bad.end = 0.2;
  EXPECT_THROW(bad.validate(), ConfigError);
  bad = unit;
  bad.scale = -1;
  EXPECT_THROW(bad.validate(), ConfigError);
  bad = unit;
  bad.preprocessor.low = 300;
  bad.preprocessor.high = 100;
  EXPECT_THROW(bad.validate(), ConfigError);
  bad = unit;
  bad.video.clear();
  EXPECT_THROW(bad.validate(), ConfigError);
}

}  // namespace
}  // namespace sm::control
