#include "app/cli/world_command.h"

#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/usage_error.h"
#include "app/cli/worker_job.h"
#include "core/toyworld/world_samples.h"
#include "core/toyworld/world_training.h"
#include "core/util/writable.h"
#include "core/worker/jobs.h"

namespace sm::cli {
namespace {

constexpr const char* kWorldUsage =
    R"(usage: stillmoving world images --out DIR [--count N] [--seed S]
       stillmoving world videos --out DIR [--count N] [--seed S]
       stillmoving world train --out DIR [--stages a,b,...] [--step-scale X]

The toy world: coloured shapes on backgrounds, moving in seven ways, drawn
procedurally (the same seed draws the same samples). `images` and `videos`
write samples with their captions (NNNN.png or NNNN.mp4, NNNN.txt and
captions.jsonl), e.g. to look at what the toy models learned from or to use as
ordinary videos for `stillmoving dataset`. The base models trained on seed 1.

`train` retrains every toy-world model from nothing into DIR, stage by stage;
run it again to resume. Stages: )";

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string stageList() {
  std::string out;
  for (const auto& s : toyworld::worldStageNames()) out += (out.empty() ? "" : ", ") + s;
  return out + ".\n";
}

}  // namespace

WorldCommand::WorldCommand(CLI::App& root) {
  app_ = root.add_subcommand("world");
  setHelp(*app_, std::string(kWorldUsage) + stageList(), 0);
  app_->require_subcommand(1);
  auto sample = [&](const char* name) {
    CLI::App* sub = app_->add_subcommand(name);
    setHelp(*sub, std::string(kWorldUsage) + stageList(), 0);
    sub->add_option("--out", out_)->required();
    sub->add_option("--count", count_)->check(CLI::Range(int64_t{1}, int64_t{1000000}));
    sub->add_option("--seed", seed_);
    sub->add_flag("--quiet", quiet_);
    return sub;
  };
  images_ = sample("images");
  videos_ = sample("videos");
  train_ = app_->add_subcommand("train");
  setHelp(*train_, std::string(kWorldUsage) + stageList(), 0);
  train_->add_option("--out", out_)->required();
  train_->add_option("--stages", stages_);
  train_->add_option("--step-scale", stepScale_)->check(CLI::Range(1e-4, 100.0));
  train_->add_flag("--quiet", quiet_);
}

WorldInvocation WorldCommand::parse() const {
  WorldInvocation w;
  w.kind = images_->parsed()   ? WorldInvocation::Kind::Images
           : videos_->parsed() ? WorldInvocation::Kind::Videos
                               : WorldInvocation::Kind::Train;
  w.out = out_;
  util::requireWritableFolder(w.out);
  w.count = count_;
  w.seed = seed_;
  w.stages = splitList(stages_);
  w.stepScale = stepScale_;
  w.quiet = quiet_;
  return w;
}

int runWorld(const WorldInvocation& w, std::shared_ptr<jobs::CancelToken> cancel) {
  const jobs::JobListener listener = stderrProgress(w.quiet);
  jobs::JobContext job(listener, cancel);
  if (w.kind != WorldInvocation::Kind::Train) {
    toyworld::writeWorldSamples(
        w.out, w.kind == WorldInvocation::Kind::Images ? toyworld::SampleKind::Pictures : toyworld::SampleKind::Videos,
        w.count, w.seed, job);
    std::cout << w.out << "\n";
    return kExitOk;
  }
  toyworld::WorldTrainingRequest request;
  request.workDir = w.out;
  request.only = w.stages;
  request.options.stepScale = w.stepScale;
  runOnWorker("cpu", "world train", listener, cancel, [&](pipelines::ModelCache& models, jobs::JobContext& context) {
    toyworld::trainWorld(request, models, context);
  });
  std::cout << w.out << "\n";
  return kExitOk;
}

}  // namespace sm::cli
