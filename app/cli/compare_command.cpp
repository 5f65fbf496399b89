#include "app/cli/compare_command.h"

#include <iostream>

#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/usage_error.h"
#include "app/cli/worker_job.h"
#include "core/comparison/results_document.h"
#include "core/util/writable.h"

namespace sm::cli {
namespace {

constexpr const char* kCompareUsage =
    R"(usage: stillmoving compare [--config FILE] [--out DIR] [--results FILE] [--overwrite]

The paper's comparison on the toy world: for each customization (the object
and the style), trains Still-Moving, the interleaved-training baseline and the
ablations (no Motion Adapter, all spatial weights, no prior preservation),
generates every method (with naive injection, interpolation and the base T2V)
for every prompt x seed, scores each video as `stillmoving eval` does, and
writes a results document: a table per customization (CLIP-I, CLIP-T, motion,
dynamic degree, consistency as mean +- standard error), the paper's claims
tested on paired differences, a plot of motion and CLIP-I against the motion
scale and a contact sheet of the methods. The defaults (2 seeds x 3 prompts)
took 27 minutes on 2 CPU cores. Trained files and videos are kept in --out:
a cancelled or repeated run reuses them.

  --config FILE   a JSON object naming what it changes (every key optional):
                    models            a toy world's models folder (default: the shipped one)
                    customizations    ["object", "style"]
                    methods           base, naive_injection, interpolation, interleaved,
                                      still_moving, no_motion_adapter, all_spatial_weights,
                                      no_prior (default: all)
                    prompts           {"object": ["a sks toy bouncing on a gray background", ...]}
                                      (an entry may be {"prompt": ..., "evaluation_prompt": ...})
                    prompts_per_customization  default prompts drawn from the world (3)
                    seeds             [1, 2]
                    motion_scales     Still-Moving's scales ([-1, -0.5, 0, 0.5, 1]; 0 always added)
                    frames 16, size 64, steps 20, guidance 5, interpolation 0.5,
                    train_steps 150, evaluator "toy" (or a toy evaluator file or a
                    CLIPModel folder), notes (a Markdown file appended as the discussion)
                  relative paths are taken from the config file's folder
  --out DIR       videos, trained files, config.json, results.json (default stillmoving-compare)
  --results FILE  the document (default DIR/RESULTS.md); its figures go to results/ beside it
  --overwrite     DIR holds a comparison of another config: discard its videos and trained files
  --quiet         no progress
)";

}  // namespace

CompareCommand::CompareCommand(CLI::App& root) {
  app_ = root.add_subcommand("compare");
  setHelp(*app_, kCompareUsage, 0);
  app_->add_option("--config", config_);
  app_->add_option("--out", out_);
  app_->add_option("--results", results_);
  app_->add_flag("--overwrite", overwrite_);
  app_->add_flag("--quiet", quiet_);
}

CompareInvocation CompareCommand::parse() const {
  CompareInvocation c;
  c.request.config =
      config_.empty() ? comparison::ComparisonConfig::defaults() : comparison::ComparisonConfig::fromFile(config_);
  if (out_.empty()) throw UsageError("--out: give a folder");
  c.request.out = out_;
  util::requireWritableFolder(out_);
  c.request.document = results_;
  c.request.overwrite = overwrite_;
  c.quiet = quiet_;
  return c;
}

int runCompare(const CompareInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  comparison::ComparisonResult result;
  runOnWorker("cpu", "compare", stderrProgress(invocation.quiet), cancel,
              [&](pipelines::ModelCache& models, jobs::JobContext& context) {
                result = comparison::runComparison(invocation.request, models, context);
              });
  for (const auto& claim : comparison::checkClaims(result))
    std::cerr << comparison::customizationId(claim.customization) << ": " << claim.claim << ": "
              << comparison::verdictText(claim.verdict) << " (" << claim.measured << ")\n";
  std::cout << result.document.string() << "\n";
  return kExitOk;
}

}  // namespace sm::cli
