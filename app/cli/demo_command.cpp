#include "app/cli/demo_command.h"

#include <fstream>
#include <iostream>

#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/usage_error.h"
#include "app/cli/worker_job.h"
#include "core/util/duration.h"
#include "core/util/error.h"
#include "core/util/writable.h"
#include "core/worker/jobs.h"

namespace sm::cli {
namespace {

constexpr const char* kDemoUsage =
    R"(usage: stillmoving demo [--out DIR] [--train] [--models DIR] [--frames N] [--steps N]

Still-Moving on the toy world the project ships (resources/toyworld): the
customized object ("a sks toy") put into the toy video model by naive
injection, by weight interpolation and by Still-Moving at motion scales -1, 0
and 1, next to the base video model. Writes one MP4 per method, contact_sheet.png
(rows = methods, columns = frames) and results.md / results.json (fidelity to
the references and prompt adherence by the toy evaluator, motion by optical flow).

  --out DIR          where the results go (default stillmoving-demo)
  --train            rebuild the frozen dataset and retrain the Spatial Adapters first
  --train-steps N    Spatial Adapter steps with --train (default 150)
  --models DIR       a toy world's models folder (default: the shipped one, or $SM_TOYWORLD)
  --frames N         frames per video (default 16)
  --steps N          sampling steps (default 20)
  --quiet            no progress
)";

}  // namespace

DemoCommand::DemoCommand(CLI::App& root) {
  app_ = root.add_subcommand("demo");
  setHelp(*app_, kDemoUsage, 0);
  app_->add_option("--out", out_);
  app_->add_option("--models", models_);
  app_->add_flag("--train", train_);
  app_->add_option("--train-steps", trainSteps_)->check(CLI::Range(1, 100000));
  app_->add_option("--frames", frames_)->check(CLI::Range(2, 32));
  app_->add_option("--steps", steps_)->check(CLI::Range(1, 200));
  app_->add_flag("--quiet", quiet_);
}

DemoInvocation DemoCommand::parse() const {
  DemoInvocation d;
  d.request.out = out_;
  if (!out_.empty()) util::requireWritableFolder(out_);
  if (!models_.empty()) {
    toyworld::ToyModelFiles files{models_};
    if (!files.hasBase())
      throw InputError("--models: '" + models_ + "' is not a toy world's models folder (no base/, motion_module/)");
    d.request.models = files;
  }
  d.request.train = train_;
  d.request.trainSteps = trainSteps_;
  d.request.frames = frames_;
  d.request.steps = steps_;
  d.quiet = quiet_;
  return d;
}

int runDemo(const DemoInvocation& invocation, std::shared_ptr<jobs::CancelToken> cancel) {
  const jobs::JobListener listener = stderrProgress(invocation.quiet);
  toyworld::DemoResult result;
  runOnWorker("cpu", "demo", listener, cancel, [&](pipelines::ModelCache& models, jobs::JobContext& context) {
    result = toyworld::runDemo(invocation.request, models, context);
  });
  std::ifstream table(result.markdown);
  std::cerr << table.rdbuf() << "demo: " << formatDuration(result.seconds) << "\n";
  std::cout << result.contactSheet.string() << "\n";
  return kExitOk;
}

}  // namespace sm::cli
