#include "app/cli/eval_command.h"

#include <iostream>

#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/usage_error.h"
#include "app/cli/worker_job.h"
#include "core/io/json_file.h"
#include "core/worker/jobs.h"

namespace sm::cli {
namespace {

constexpr const char* kEvalUsage =
    R"(usage: stillmoving eval VIDEO... [--prompt TEXT] [--reference-images DIR] [--evaluator toy|PATH] [--json]

Scores videos as the paper's comparison does, per video and as mean and
standard error over all of them:
  clip_t          mean cosine between each frame and the prompt (with --prompt)
  clip_i          mean cosine between each frame and each reference image
                  (with --reference-images)
  motion          mean optical-flow magnitude (OpenCV Farneback) between
                  consecutive frames, pixels per frame at 256x256
  dynamic_degree  share of consecutive frame pairs whose strongest 5% of flow
                  exceeds 6 pixels at 256x256 (VBench's rule)
  consistency     mean cosine between consecutive frames' image embeddings

  --prompt TEXT            the prompt the videos were made from
  --reference-images DIR   the customization's images (.png .jpg ...)
  --evaluator toy|PATH     toy: the shipped toy world's evaluator (default); PATH: a
                           toy evaluator .safetensors, or a transformers CLIPModel
                           folder (config.json, model.safetensors, vocab.json,
                           merges.txt), e.g. openai/clip-vit-large-patch14
  --json                   the report as JSON on stdout instead of a table
  --quiet                  no progress
)";

}  // namespace

EvalCommand::EvalCommand(CLI::App& root) {
  app_ = root.add_subcommand("eval");
  setHelp(*app_, kEvalUsage, 0);
  app_->add_option("videos", videos_);
  app_->add_option("--prompt", prompt_);
  app_->add_option("--reference-images", references_);
  app_->add_option("--evaluator", evaluator_);
  app_->add_flag("--json", json_);
  app_->add_flag("--quiet", quiet_);
}

EvalInvocation EvalCommand::parse() const {
  if (videos_.empty()) throw UsageError("eval: give one or more videos (stillmoving eval --help)");
  EvalInvocation e;
  e.request.videos = videos_;
  e.request.prompt = prompt_;
  e.request.referenceFolder = references_;
  e.request.evaluator = evaluator_;
  e.json = json_;
  e.quiet = quiet_;
  return e;
}

int runEval(const EvalInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  evaluation::EvaluationReport report;
  runOnWorker("cpu", "eval", stderrProgress(invocation.quiet), cancel,
              [&](pipelines::ModelCache&, jobs::JobContext& context) {
                report = evaluation::evaluateVideos(invocation.request, context);
              });
  if (invocation.json)
    std::cout << io::dumpJson(report.toJson(), 2) << "\n";
  else
    std::cout << "evaluator: " << report.evaluator << "\n\n" << report.toMarkdown();
  return kExitOk;
}

}  // namespace sm::cli
