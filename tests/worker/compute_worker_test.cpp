// The spine: one compute worker per device runs queued jobs one at a time and
// keeps the models loaded between them (ModelCache); per-request settings
// (prompt, seed, motion scale, Spatial Adapter strength) never reach the
// models, and changing only a customization reloads nothing but what changed.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/adapters/motion_adapter.h"
#include "core/pipelines/model_cache.h"
#include "core/util/error.h"
#include "core/worker/compute_worker.h"
#include "core/worker/jobs.h"
#include "tests/datasets/dataset_test_util.h"
#include "tests/pipelines/tiny_pipeline.h"
#include "tests/temp_dir.h"

namespace sm::worker {
namespace {

using test::fixture;
using test::tinySources;

pipelines::GenerationRequest request(const std::string& prompt, uint64_t seed) {
  pipelines::GenerationRequest r;
  r.prompt = prompt;
  r.frames = 4;
  r.width = 64;
  r.height = 64;
  r.steps = 2;
  r.seed = seed;
  return r;
}

// A trained-looking Motion Adapter for the tiny base (B random, so its scale matters).
std::string motionAdapterFile(const test::TempDir& dir) {
  auto pipeline = pipelines::AnimateDiffPipeline::load(tinySources(), {});
  auto adapter = adapters::MotionAdapter::create(pipeline->unet(), {.rank = 4, .seed = 3});
  {
    torch::NoGradGuard noGrad;
    torch::manual_seed(11);
    for (auto& [name, t] : adapter->parameters())
      if (name.find(".lora_B.") != std::string::npos) t.copy_(torch::randn_like(t) * 0.5);
  }
  const std::string path = dir.file("motion.safetensors");
  adapter->save(path);
  return path;
}

// Runs one generation on `worker` and returns its first clip's latents-equivalent: the 8-bit frames.
struct GenerationRun {
  GeneratedVideos videos;
  pipelines::ModelCache::Counters counters;
  double secondsToFirstStep = 0;
};

GenerationRun generate(ComputeWorker& worker, const pipelines::ModelSet& models,
                       const pipelines::GenerationRequest& r) {
  GenerationRun run;
  JobSpec spec;
  spec.title = "generate";
  const auto start = std::chrono::steady_clock::now();
  spec.listener.onProgress = [&](const jobs::Progress& p) {
    if (p.stage == "denoising" && p.done == 0)
      run.secondsToFirstStep = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  spec.work = [&](pipelines::ModelCache& cache, jobs::JobContext& job) {
    run.videos = runGenerate(cache, {models, "fp32", r}, job);
    run.counters = cache.counters();
  };
  runAndWait(worker, std::move(spec));
  return run;
}

bool sameFrames(const GeneratedVideos& a, const GeneratedVideos& b) {
  if (a.clips.size() != b.clips.size()) return false;
  for (size_t i = 0; i < a.clips.size(); ++i) {
    if (a.clips[i].frames.size() != b.clips[i].frames.size()) return false;
    for (size_t f = 0; f < a.clips[i].frames.size(); ++f)
      if (a.clips[i].frames[f].rgb != b.clips[i].frames[f].rgb) return false;
  }
  return true;
}

TEST(ComputeWorker, TwoGenerationsLoadTheModelsOnce) {
  ComputeWorker worker("cpu");
  const GenerationRun first = generate(worker, tinySources(), request("a photo of a cat", 1));
  const GenerationRun second = generate(worker, tinySources(), request("a red star bouncing", 2));
  EXPECT_EQ(first.counters.baseLoads, 1);
  EXPECT_EQ(second.counters.baseLoads, 1);  // another prompt and seed: nothing reloaded
  EXPECT_EQ(second.counters.customizations, 0);
  EXPECT_FALSE(sameFrames(first.videos, second.videos));
  std::cout << "[ start-up to the first denoising step: first run " << first.secondsToFirstStep * 1000
            << " ms, second run " << second.secondsToFirstStep * 1000 << " ms ]\n";
  EXPECT_LT(second.secondsToFirstStep, first.secondsToFirstStep);
}

TEST(ComputeWorker, TheMotionScaleOfOneRequestDoesNotReachTheNext) {
  test::TempDir dir("sm-worker-motion");
  pipelines::ModelSet models = tinySources();
  models.motionAdapter = motionAdapterFile(dir);
  pipelines::GenerationRequest still = request("a red star bouncing", 9);
  still.motionScale = 1.0;
  const pipelines::GenerationRequest plain = request("a red star bouncing", 9);  // motion scale 0

  ComputeWorker fresh("cpu");
  const GenerationRun reference = generate(fresh, models, plain);

  ComputeWorker worker("cpu");
  const GenerationRun atOne = generate(worker, models, still);
  EXPECT_FALSE(sameFrames(atOne.videos, reference.videos));  // the scale does act
  const GenerationRun after = generate(worker, models, plain);
  EXPECT_TRUE(sameFrames(after.videos, reference.videos));
  EXPECT_EQ(after.counters.baseLoads, 1);
  EXPECT_EQ(after.counters.adapterAttachments, 1);

  // A request cancelled in the middle of its steps leaves nothing behind either.
  auto cancel = std::make_shared<jobs::CancelToken>();
  JobSpec spec;
  spec.cancel = cancel;
  spec.listener.onProgress = [&](const jobs::Progress& p) {
    if (p.stage == "denoising" && p.done == 1) cancel->cancel();
  };
  spec.work = [&](pipelines::ModelCache& cache, jobs::JobContext& job) {
    runGenerate(cache, {models, "fp32", still}, job);
  };
  EXPECT_THROW(runAndWait(worker, std::move(spec)), sm::Cancelled);
  EXPECT_TRUE(sameFrames(generate(worker, models, plain).videos, reference.videos));
}

TEST(ComputeWorker, RunsJobsOneAtATimeInQueueOrderAndDropsCancelledWaitingJobs) {
  ComputeWorker worker("cpu");
  std::mutex mutex;
  std::vector<std::string> events;
  std::atomic<int> running{0};
  std::atomic<int> maxRunning{0};
  std::atomic<bool> release{false};
  auto job = [&](const std::string& name, bool hold) {
    JobSpec spec;
    spec.title = name;
    spec.work = [&, name, hold](pipelines::ModelCache&, jobs::JobContext&) {
      maxRunning = std::max(maxRunning.load(), ++running);
      while (hold && !release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      {
        std::lock_guard lock(mutex);
        events.push_back(name);
      }
      --running;
    };
    return spec;
  };
  const uint64_t a = worker.submit(job("a", true));
  const uint64_t b = worker.submit(job("b", false));
  const uint64_t c = worker.submit(job("c", false));
  JobSpec dSpec = job("d", false);
  JobState dEnd = JobState::Queued;
  dSpec.finished = [&](const JobOutcome& o) { dEnd = o.state; };
  const uint64_t d = worker.submit(std::move(dSpec));
  // While a runs, the others wait in order.
  while (worker.jobs().empty() || worker.jobs().front().state != JobState::Running)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::vector<JobInfo> queue = worker.jobs();
  ASSERT_EQ(queue.size(), 4u);
  EXPECT_EQ(queue[0].id, a);
  EXPECT_EQ(queue[1].id, b);
  EXPECT_EQ(queue[2].state, JobState::Queued);
  EXPECT_TRUE(worker.cancel(d));
  release = true;
  EXPECT_EQ(worker.wait(c).state, JobState::Succeeded);
  EXPECT_EQ(worker.wait(d).state, JobState::Cancelled);
  EXPECT_EQ(dEnd, JobState::Cancelled);
  EXPECT_EQ(maxRunning.load(), 1);
  EXPECT_EQ(events, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(worker.wait(b).state, JobState::Succeeded);
  EXPECT_TRUE(worker.jobs().empty());
}

TEST(ComputeWorker, AFailedJobReportsItsErrorAndTheNextJobStartsClean) {
  ComputeWorker worker("cpu");
  pipelines::ModelSet wrong = tinySources();
  wrong.custom = fixture("lora_tiny_kohya.safetensors");  // a LoRA is no customized checkpoint
  EXPECT_THROW(generate(worker, wrong, request("a cat", 1)), sm::CheckpointError);
  ComputeWorker fresh("cpu");
  EXPECT_TRUE(sameFrames(generate(worker, tinySources(), request("a cat", 1)).videos,
                         generate(fresh, tinySources(), request("a cat", 1)).videos));
}

TEST(ModelCache, ACustomizationIsRedoneWithoutReloadingTheBaseAndUndoneExactly) {
  pipelines::ModelCache cache("cpu");
  const pipelines::GenerationRequest r = request("a photo of sks toy", 4);
  pipelines::ModelSet plain = tinySources();
  pipelines::ModelSet lora = tinySources();
  lora.loras = {{fixture("lora_tiny_kohya.safetensors"), 0.5f}};
  pipelines::ModelSet stronger = lora;
  stronger.loras[0].second = 1.0f;
  pipelines::ModelSet custom = tinySources();
  custom.custom = fixture("sd15_tiny_ldm_fp16.safetensors");
  custom.interpolation = 0.5f;

  auto fresh = [&](const pipelines::ModelSet& models) {
    return pipelines::AnimateDiffPipeline::load(models, {})->denoise(r);
  };
  jobs::JobContext& job = jobs::silentJob();
  const torch::Tensor withHalf = cache.pipeline(lora, "fp32", job).denoise(r);
  EXPECT_TRUE(torch::equal(withHalf, fresh(lora)));
  EXPECT_TRUE(torch::equal(cache.pipeline(stronger, "fp32", job).denoise(r), fresh(stronger)));
  EXPECT_TRUE(torch::equal(cache.pipeline(custom, "fp32", job).denoise(r), fresh(custom)));
  EXPECT_TRUE(torch::equal(cache.pipeline(plain, "fp32", job).denoise(r), fresh(plain)));
  EXPECT_EQ(cache.counters().baseLoads, 1);
  EXPECT_EQ(cache.counters().customizations, 4);
  cache.pipeline(plain, "fp32", job);  // nothing changed: nothing done
  EXPECT_EQ(cache.counters().customizations, 4);
  cache.pipeline(plain, "bf16", job);  // another precision is another base model
  EXPECT_EQ(cache.counters().baseLoads, 2);
}

TEST(ComputeWorker, RefusesAStrengthForMergedSpatialAdaptersBeforeLoadingAnything) {
  pipelines::ModelCache cache("cpu");
  GenerateJob job{tinySources(), "fp32", request("a cat", 1)};
  job.models.spatialAdapters = fixture("stillmoving_motion_adapter_tiny.safetensors");  // never opened
  job.models.mergeSpatialAdapters = true;
  job.request.spatialStrength = 0.5;
  EXPECT_THROW(runGenerate(cache, job, jobs::silentJob()), sm::ConfigError);
  EXPECT_EQ(cache.counters().baseLoads, 0);
}

TEST(ComputeWorker, DatasetBuildsSampleThroughTheLoadedModelsAndGiveTheSameData) {
  test::TempDir dir("sm-worker-dataset");
  auto settings = test::tinySettings<datasets::FrozenDatasetSettings>(dir.file("cached"));
  settings.source = datasets::DatasetSource::Model;
  settings.prompts = {"a photo of sks dog"};
  settings.samplesPerPrompt = 2;
  pipelines::ModelCache cache("cpu");
  cache.pipeline(tinySources(), "fp32", jobs::silentJob());  // what a generation left loaded
  datasets::buildFrozenDataset(settings, jobs::silentJob(), &cache);
  EXPECT_EQ(cache.counters().baseLoads, 1);  // sampled with the loaded models
  auto own = settings;
  own.out = dir.file("own");
  datasets::buildFrozenDataset(own, jobs::silentJob());  // a pipeline of its own, without motion modules
  EXPECT_EQ(test::readFile(dir.file("cached") + "/latents.safetensors"),
            test::readFile(dir.file("own") + "/latents.safetensors"));
}

TEST(ComputeWorker, GeneratesAVideoOfAnyMultipleOf8) {
  ComputeWorker worker("cpu");
  pipelines::GenerationRequest r = request("a cat", 3);
  r.width = 72;
  r.height = 40;
  const GenerationRun run = generate(worker, tinySources(), r);
  ASSERT_EQ(run.videos.clips.size(), 1u);
  EXPECT_EQ(run.videos.clips[0].frames[0].width, 72);
  EXPECT_EQ(run.videos.clips[0].frames[0].height, 40);
  EXPECT_EQ(run.videos.clips[0].frames.size(), 4u);
}

}  // namespace
}  // namespace sm::worker
