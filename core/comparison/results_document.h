#pragma once
// The comparison's results: aggregated per method (mean and standard error),
// the paper's claims tested on paired differences, and the document
// (RESULTS.md) with its figures: a plot of motion and CLIP-I against the motion
// scale and a contact sheet of the methods, per customization.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/comparison/comparison_run.h"
#include "core/evaluation/video_metrics.h"

namespace sm::comparison {

/// A measure's aggregate over one method's videos (prompts x seeds).
struct MethodRow {
  toyworld::CustomizationKind customization;
  Method method;
  double motionScale = 0;
  /// "clip_i", "clip_t", "motion", "dynamic_degree", "consistency".
  std::vector<std::pair<std::string, evaluation::Aggregate>> measures;
};
std::vector<MethodRow> methodRows(const ComparisonResult& result);

enum class Verdict { Holds, NotShown, DoesNotHold, NotMeasured };
const char* verdictText(Verdict verdict);

struct ClaimCheck {
  toyworld::CustomizationKind customization;
  std::string claim;     ///< the paper's claim, as measured here
  std::string measured;  ///< the two means and the paired difference ± its standard error
  Verdict verdict = Verdict::NotMeasured;
};
/// With fewer than two pairs a claim is "not shown" (no noise estimate). A "higher" claim holds when the paired
/// difference (same prompt and seed) exceeds twice its standard error, is not shown when positive but within that, and
/// does not hold otherwise; a "not lower" claim holds unless the difference is below minus twice its standard error.
std::vector<ClaimCheck> checkClaims(const ComparisonResult& result);

/// results.json in `out`, the document and its figures (result.document and
/// <its folder>/results/*.png), each written atomically.
void writeResults(const ComparisonResult& result, const std::filesystem::path& out, jobs::JobContext& job);

}  // namespace sm::comparison
