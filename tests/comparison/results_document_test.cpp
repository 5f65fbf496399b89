// The claims are tested on paired differences: a clear difference holds, one
// within noise is "not shown", the wrong sign does not hold; the per-method
// aggregates are the means of the videos.
#include <gtest/gtest.h>

#include "core/comparison/results_document.h"

namespace sm::comparison {
namespace {

using toyworld::CustomizationKind;

ComparedVideo video(Method m, double scale, int prompt, uint64_t seed, double clipI, double motion) {
  ComparedVideo v;
  v.customization = CustomizationKind::Object;
  v.method = m;
  v.motionScale = scale;
  v.prompt = prompt;
  v.seed = seed;
  v.scores.clipI = clipI;
  v.scores.clipT = 0.5;
  v.scores.motion = motion;
  return v;
}

const ClaimCheck& find(const std::vector<ClaimCheck>& claims, const std::string& start) {
  for (const auto& c : claims)
    if (c.claim.rfind(start, 0) == 0) return c;
  throw std::runtime_error("no claim " + start);
}

TEST(ResultsDocument, ClaimsFollowThePairedDifferencesAndTheirNoise) {
  ComparisonResult r;
  r.config = ComparisonConfig::defaults();
  r.config.customizations.resize(1);  // the object
  r.config.seeds = {1, 2, 3, 4};
  r.config.motionScales = {-1, 0, 1};
  for (int p = 0; p < 1; ++p)
    for (uint64_t s = 1; s <= 4; ++s) {
      const double jitter = 0.01 * static_cast<double>(s);
      // Still-Moving clearly closer to the references than naive injection...
      r.videos.push_back(video(Method::StillMoving, 0, p, s, 0.80 + jitter, 2.0 + jitter));
      r.videos.push_back(video(Method::NaiveInjection, 0, p, s, 0.60 + jitter, 2.0));
      // ...interpolation the same within noise (differences +0.02, -0.01, +0.02, -0.01)...
      r.videos.push_back(video(Method::Interpolation, 0, p, s, 0.80 + jitter + (s % 2 ? -0.02 : 0.01), 2.0));
      // ...the base moves more (Still-Moving loses motion), the ablation without the Motion Adapter less.
      r.videos.push_back(video(Method::Base, 0, p, s, 0.3, 4.0 + jitter));
      r.videos.push_back(video(Method::NoMotionAdapter, 0, p, s, 0.8, 0.5));
      r.videos.push_back(video(Method::StillMoving, -1, p, s, 0.7, 3.0 + jitter));
      r.videos.push_back(video(Method::StillMoving, 1, p, s, 0.9, 1.0));
    }
  const std::vector<ClaimCheck> claims = checkClaims(r);
  EXPECT_EQ(find(claims, "Still-Moving keeps the customized look").verdict, Verdict::Holds);
  EXPECT_EQ(find(claims, "... and better than interpolation").verdict, Verdict::NotShown);
  EXPECT_EQ(find(claims, "Still-Moving keeps the base T2V's motion").verdict, Verdict::DoesNotHold);
  EXPECT_EQ(find(claims, "Still-Moving's prompt fidelity").verdict, Verdict::Holds) << "equal CLIP-T is not lower";
  EXPECT_EQ(find(claims, "Without the Motion Adapter").verdict, Verdict::Holds);
  EXPECT_EQ(find(claims, "The motion slider: a = -1.0 moves more").verdict, Verdict::Holds);
  EXPECT_EQ(find(claims, "The motion slider trades").verdict, Verdict::Holds);
  // Methods without videos are "not measured", never a verdict.
  EXPECT_EQ(find(claims, "Prior preservation").verdict, Verdict::NotMeasured);
  EXPECT_NE(find(claims, "Still-Moving keeps the customized look").measured.find("n = 4"), std::string::npos);

  const std::vector<MethodRow> rows = methodRows(r);
  bool seen = false;
  for (const auto& row : rows)
    if (row.method == Method::NaiveInjection)
      for (const auto& [name, a] : row.measures)
        if (name == "clip_i") {
          EXPECT_NEAR(a.mean, 0.625, 1e-12);
          EXPECT_EQ(a.count, 4);
          seen = true;
        }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace sm::comparison
