#include "app/cli/world_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/exit_codes.h"
#include "app/cli/help_formatter.h"
#include "app/cli/progress_bar.h"
#include "app/cli/usage_error.h"
#include "core/datasets/dataset_folder.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/world_batches.h"
#include "core/toyworld/world_training.h"
#include "core/util/atomic_file.h"
#include "core/video/video_writer.h"
#include "core/worker/compute_worker.h"
#include "core/worker/jobs.h"
#include "core/world/world_scene.h"

namespace sm::cli {
namespace {

namespace fs = std::filesystem;

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

void writeSamples(const WorldInvocation& w, jobs::JobContext& job) {
  fs::create_directories(w.out);
  std::string lines;
  job.beginStage(w.kind == WorldInvocation::Kind::Images ? "images" : "videos", w.count);
  for (int64_t i = 0; i < w.count; ++i) {
    job.throwIfCancelled();
    const world::Scene scene = world::sampleScene(w.seed, static_cast<uint64_t>(i));
    const std::string key = datasets::sampleKey(static_cast<size_t>(i));
    const bool images = w.kind == WorldInvocation::Kind::Images;
    const std::string caption = world::caption(scene, !images);
    const std::string file = key + (images ? ".png" : ".mp4");
    if (images)
      datasets::writePng((fs::path(w.out) / file).string(),
                         world::drawImage(scene, toyworld::pictureTime(i), toyworld::kImageSize));
    else
      video::writeVideo((fs::path(w.out) / file).string(),
                        world::drawVideo(scene, toyworld::kFrames, toyworld::kImageSize, toyworld::kFps));
    util::writeFileAtomically((fs::path(w.out) / (key + ".txt")).string(), caption + "\n");
    const nlohmann::json line{{"file", file},
                              {"caption", caption},
                              {"shape", world::shapeNames()[static_cast<size_t>(scene.shape)]},
                              {"color", world::colorNames()[static_cast<size_t>(scene.color)]},
                              {"background", world::backgroundNames()[static_cast<size_t>(scene.background)]},
                              {"motion", world::motionNames()[static_cast<size_t>(scene.motion)]}};
    lines += line.dump() + "\n";
    job.progress(i + 1);
  }
  util::writeFileAtomically((fs::path(w.out) / "captions.jsonl").string(), lines);
  std::cout << w.out << "\n";
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
    writeSamples(w, job);
    return kExitOk;
  }
  toyworld::WorldTrainingRequest request;
  request.workDir = w.out;
  request.only = w.stages;
  request.options.stepScale = w.stepScale;
  worker::ComputeWorker computeWorker("cpu");
  worker::JobSpec spec;
  spec.title = "world train";
  spec.listener = listener;
  spec.cancel = cancel;
  spec.work = [&](pipelines::ModelCache&, jobs::JobContext& context) { toyworld::trainWorld(request, context); };
  worker::runAndWait(computeWorker, std::move(spec));
  std::cout << w.out << "\n";
  return kExitOk;
}

}  // namespace sm::cli
