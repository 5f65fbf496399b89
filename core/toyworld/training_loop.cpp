#include "core/toyworld/training_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/training/adamw_state.h"
#include "core/training/training_checkpoint.h"
#include "core/util/error.h"

namespace sm::toyworld {
namespace {

uint64_t stepSeed(uint64_t seed, int64_t step) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(step) * 0xBF58476D1CE4E5B9ULL + 1;
  z = (z ^ (z >> 31)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 29);
}

}  // namespace

TrainingLoopResult runTrainingLoop(const TrainingLoopSpec& spec, jobs::JobContext& job) {
  std::vector<torch::Tensor> tensors = training::trainableTensors(spec.params);
  torch::optim::AdamW optimizer(tensors, torch::optim::AdamWOptions(spec.learningRate).weight_decay(spec.weightDecay));
  TrainingLoopResult result;
  int64_t start = 0;
  if (std::filesystem::exists(spec.checkpointPath)) {
    const training::TrainingCheckpoint ck = training::loadTrainingCheckpoint(spec.checkpointPath);
    training::restoreTrainable(ck, spec.params);
    training::loadAdamWState(optimizer, spec.params, ck.optimizer, ck.optimizerOptionsJson);
    const auto resume = nlohmann::json::parse(ck.resumeJson);
    result.losses = resume.value("losses", std::vector<double>{});
    result.seconds = resume.value("seconds", 0.0);
    start = ck.step;
    job.info(spec.stage + ": resumed at step " + std::to_string(start) + " of " + std::to_string(spec.steps));
  }
  auto save = [&](int64_t step) {
    training::TrainingCheckpoint ck;
    ck.step = step;
    ck.seed = spec.seed;
    ck.settingsJson = nlohmann::json{{"stage", spec.stage}, {"steps", spec.steps}}.dump();
    ck.resumeJson = nlohmann::json{{"losses", result.losses}, {"seconds", result.seconds}}.dump();
    ck.optimizerOptionsJson = training::adamWOptionsJson(optimizer);
    for (const auto& [name, t] : spec.params) ck.trainable.emplace_back(name, t.detach());
    ck.optimizer = training::adamWState(optimizer, spec.params);
    std::filesystem::create_directories(std::filesystem::path(spec.checkpointPath).parent_path());
    training::saveTrainingCheckpoint(spec.checkpointPath, ck);
  };
  job.beginStage(spec.stage, spec.steps, start);
  for (int64_t step = start; step < spec.steps; ++step) {
    if (job.cancelToken()->cancelled()) {
      save(step);
      job.throwIfCancelled();
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double warm = spec.warmupSteps > 0 ? std::min(1.0, static_cast<double>(step + 1) / spec.warmupSteps) : 1.0;
    training::setLearningRate(optimizer, spec.learningRate * warm);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(stepSeed(spec.seed, step));
    optimizer.zero_grad();
    torch::Tensor loss = spec.loss(step, generator);
    if (!std::isfinite(loss.item<double>()))
      throw ConfigError(spec.stage + ": the loss became " + std::to_string(loss.item<double>()) + " at step " +
                        std::to_string(step) + "; lower the learning rate and delete " + spec.checkpointPath +
                        " to start the stage again");
    loss.backward();
    if (spec.gradClip > 0) torch::nn::utils::clip_grad_norm_(tensors, spec.gradClip);
    optimizer.step();
    result.losses.push_back(loss.item<double>());
    result.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    job.progress(step + 1);
    job.metric(spec.stage + " loss", step + 1, result.losses.back());
    if ((step + 1) % spec.checkpointEvery == 0 && step + 1 < spec.steps) save(step + 1);
  }
  save(spec.steps);
  return result;
}

double tailMean(const std::vector<double>& losses, size_t window) {
  if (losses.empty()) return 0;
  const size_t n = std::min(window, losses.size());
  double sum = 0;
  for (size_t i = losses.size() - n; i < losses.size(); ++i) sum += losses[i];
  return sum / static_cast<double>(n);
}

}  // namespace sm::toyworld
