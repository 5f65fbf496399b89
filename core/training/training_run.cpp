#include "core/training/training_run.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/adapters/model_fingerprint.h"
#include "core/engine/cpu_features.h"
#include "core/engine/device.h"
#include "core/engine/memory_guard.h"
#include "core/io/json_file.h"
#include "core/training/adamw_state.h"
#include "core/training/autocast.h"
#include "core/training/diffusion_loss.h"
#include "core/training/lr_schedule.h"
#include "core/training/training_checkpoint.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sm::training {
namespace {

uint64_t mixSeed(uint64_t seed, uint64_t step, uint64_t micro) {
  uint64_t x = seed ^ (step * 0x9e3779b97f4a7c15ULL) ^ (micro * 0xc2b2ae3d27d4eb4fULL);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 29;
  return x;
}

json sourcesJson(const pipelines::ModelSet& m) {
  json loras = json::array();
  for (const auto& [path, strength] : m.loras) loras.push_back({{"path", path}, {"strength", strength}});
  return {{"base", m.base}, {"motion_module", m.motionModule}, {"custom", m.custom}, {"loras", loras}};
}

}  // namespace

std::string TrainingRun::divergenceMessage(double loss, int step, const engine::NamedTensors& trainable) const {
  // Say what diverged. The data cannot have (every sample is checked for NaN as it is
  // read), so: the model, when the very first step fails from freshly made adapters;
  // otherwise the updates, i.e. the learning rate.
  int broken = 0;
  double largest = 0;
  for (const auto& [name, p] : trainable) {
    const torch::Tensor w = p.detach();
    if (!torch::isfinite(w).all().item<bool>())
      ++broken;
    else if (w.numel() > 0)
      largest = std::max(largest, w.abs().max().item<double>());
  }
  std::ostringstream message;
  message << "training diverged at step " << step << ": the loss is " << loss << ". ";
  if (step == 1 && broken == 0) {
    message << "It failed at the first step, with the data finite: the model is the cause. Check the model files "
            << "(stillmoving inspect)" << (bf16_ ? "; bf16 may overflow in this model: try --precision fp32" : "");
    return message.str();
  }
  message << "The updates grew too large (" << broken << " of " << trainable.size()
          << " trained tensors hold NaN or Inf; the largest finite weight is " << largest << "). Lower --lr (now "
          << s_.learningRate << "; try a tenth) or raise --warmup (now " << s_.warmupSteps
          << ") and start afresh with --overwrite (a resume must keep the settings, and would diverge again)";
  return message.str();
}

std::string checkpointDirOf(const TrainingSettings& s) {
  return s.checkpointDir.empty() ? s.output + ".checkpoints" : s.checkpointDir;
}

json trajectoryJson(const TrainingSettings& s) {
  json j = {{"model", sourcesJson(s.model)},
            {"precision", s.precision},
            {"batch_size", s.batchSize},
            {"gradient_accumulation", s.gradientAccumulation},
            {"learning_rate", s.learningRate},
            {"warmup_steps", s.warmupSteps},
            {"weight_decay", s.weightDecay},
            {"rank", s.rank},
            {"frames", s.frames},
            {"seed", s.seed}};
  // Only when on, so that checkpoints written before the setting existed still resume.
  if (s.highNoiseWeightCap > 1) j["high_noise_weight"] = s.highNoiseWeightCap;
  return j;
}

TrainingRun::TrainingRun(const TrainingSettings& settings, nlohmann::json trajectory, jobs::JobContext& job)
    : s_(settings), trajectory_(std::move(trajectory)), job_(job), device_(engine::selectDevice(settings.device)) {
  // auto: bf16 autocast on CUDA, and on CPUs with AMX or AVX512-BF16; elsewhere the CPU
  // emulates bf16, slower than fp32 (an explicit bf16 still gets it there).
  bf16_ = s_.precision == "bf16" || (s_.precision == "auto" && (device_.is_cuda() || engine::cpuFeatures().fastBf16()));
}

void TrainingRun::loadModels(const pipelines::ModelSet& sources) {
  pipelines::PipelineLoadOptions options;
  options.device = device_;
  options.dtype = torch::kFloat32;  // master weights; bf16 comes from autocast
  pipeline_ = pipelines::AnimateDiffPipeline::load(sources, options, job_);
  // Nothing of the model learns: only the tensors handed to train() do.
  for (auto* module : std::initializer_list<torch::nn::Module*>{pipeline_->unet().get(), pipeline_->textEncoder().get(),
                                                                pipeline_->vae().get()})
    for (auto& p : module->parameters()) p.requires_grad_(false);
  pipeline_->unet()->train();
  pipeline_->unet()->setGradientCheckpointing(s_.gradientCheckpointing);
}

torch::Tensor TrainingRun::embed(const std::string& prompt) {
  auto it = prompts_.find(prompt);
  if (it != prompts_.end()) return it->second;
  torch::NoGradGuard noGrad;
  torch::Tensor e = pipeline_->encodePrompt(prompt, 0).detach();
  prompts_.emplace(prompt, e);
  return e;
}

std::pair<torch::Tensor, torch::Tensor> TrainingRun::batch(const datasets::LatentVideoDataset& dataset, int frames,
                                                           at::Generator& generator) {
  std::vector<torch::Tensor> latents, embeddings;
  for (int b = 0; b < s_.batchSize; ++b) {
    const int64_t index =
        torch::randint(static_cast<int64_t>(dataset.size()), {1}, generator, torch::kLong).item<int64_t>();
    const datasets::LatentVideoDataset::Sample sample = dataset.sample(static_cast<size_t>(index), frames);
    latents.push_back(sample.latents);
    embeddings.push_back(embed(sample.prompt));
  }
  return {torch::stack(latents).to(device_), torch::cat(embeddings)};
}

torch::Tensor TrainingRun::loss(const torch::Tensor& latents, const torch::Tensor& embeddings,
                                at::Generator& generator) {
  AutocastGuard autocast(device_, torch::kBFloat16, bf16_);
  DiffusionLossOptions options;
  options.highNoiseWeightCap = s_.highNoiseWeightCap;
  return diffusionLoss(*pipeline_->unet(), schedule_, latents, embeddings, generator, options);
}

TrainingSummary TrainingRun::train(
    const engine::NamedTensors& trainable,
    const std::function<torch::Tensor(int, int, at::Generator&, std::string&)>& microLoss,
    const std::function<void(const std::string& path, const nlohmann::json& record)>& writeOutput) {
  for (const auto& [name, p] : trainable) p.requires_grad_(true);
  torch::optim::AdamW optimizer(trainableTensors(trainable),
                                torch::optim::AdamWOptions(s_.learningRate).weight_decay(s_.weightDecay));

  const std::string dir = checkpointDirOf(s_);
  const std::string checkpointPath = checkpointFileIn(dir);
  TrainingSummary summary;
  std::vector<double> history;
  int step = 0;
  if (s_.resume) {
    if (!fs::exists(checkpointPath))
      throw ConfigError("nothing to resume: " + checkpointPath + " does not exist (start without --resume)");
    const TrainingCheckpoint checkpoint = loadTrainingCheckpoint(checkpointPath);
    const json saved = json::parse(checkpoint.settingsJson, nullptr, false);
    if (saved.is_discarded() || saved != trajectory_)
      throw ConfigError(checkpointPath +
                        " was written by a run with other settings (model, data or optimizer): "
                        "resume with the same settings, or start afresh with --overwrite (which replaces it)");
    restoreTrainable(checkpoint, trainable);
    try {
      loadAdamWState(optimizer, trainable, checkpoint.optimizer, checkpoint.optimizerOptionsJson);
    } catch (const ConfigError& e) {  // the optimizer's state is the checkpoint's content
      throw CheckpointError(checkpointPath, e.what());
    }
    step = static_cast<int>(checkpoint.step);
    history = lossHistory(checkpoint);
    summary.resumedFrom = step;
    if (step > s_.steps)
      throw ConfigError(checkpointPath + " is at step " + std::to_string(step) + ", past the " +
                        std::to_string(s_.steps) + " steps asked for: ask for at least " + std::to_string(step));
    if (step == s_.steps)
      // A finished run whose output was lost (killed while writing it, or deleted): the
      // checkpoint holds the final weights, so the output is written again from it.
      job_.info("the run in " + checkpointPath + " is complete (step " + std::to_string(step) +
                "): writing its output again from the checkpoint");
    else
      job_.info("resuming at step " + std::to_string(step) + " from " + checkpointPath);
    for (size_t i = 0; i < history.size(); ++i) job_.metric("loss", static_cast<int64_t>(i) + 1, history[i]);
  }
  fs::create_directories(dir);

  auto saveCheckpoint = [&] {
    TrainingCheckpoint checkpoint;
    checkpoint.step = step;
    checkpoint.seed = s_.seed;
    checkpoint.settingsJson = io::dumpJson(trajectory_);
    checkpoint.resumeJson = json{{"loss_history", history}}.dump();
    checkpoint.trainable = trainable;
    checkpoint.optimizer = adamWState(optimizer, trainable);
    checkpoint.optimizerOptionsJson = adamWOptionsJson(optimizer);
    saveTrainingCheckpoint(checkpointPath, checkpoint);
    summary.checkpoint = checkpointPath;
  };

  const adapters::UNetFingerprint weightsBefore = adapters::fingerprintUNet(*pipeline_->unet());
  job_.beginStage("training", s_.steps, step);
  const auto start = std::chrono::steady_clock::now();
  const int firstStep = step;
  try {
    for (; step < s_.steps; ++step) {
      optimizer.zero_grad();  // set_to_none: the first micro-batch's backward allocates the gradients
      double total = 0.0;
      for (int micro = 0; micro < s_.gradientAccumulation; ++micro) {
        job_.throwIfCancelled();
        at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(mixSeed(s_.seed, step, micro));
        std::string series;
        torch::Tensor loss = engine::guardMemory("a training step", device_, [&] {
          torch::Tensor l = microLoss(step, micro, generator, series) / s_.gradientAccumulation;
          l.backward();
          return l.detach();
        });
        const double value = loss.item<double>() * s_.gradientAccumulation;
        if (!std::isfinite(value)) throw ConfigError(divergenceMessage(value, step + 1, trainable));
        if (!series.empty()) job_.metric(series, step + 1, value);
        total += value / s_.gradientAccumulation;
      }
      setLearningRate(optimizer, warmupConstantLR(s_.learningRate, step, s_.warmupSteps));
      optimizer.step();
      history.push_back(total);
      job_.metric("loss", step + 1, total);
      job_.progress(step + 1);
      if (s_.checkpointEvery > 0 && (step + 1) % s_.checkpointEvery == 0 && step + 1 < s_.steps) {
        ++step;  // the checkpoint records completed steps
        saveCheckpoint();
        --step;
      }
    }
  } catch (const Cancelled&) {
    // Steps completed so far are kept; the interrupted one is simply redone on resume.
    saveCheckpoint();
    job_.info("cancelled at step " + std::to_string(step) + "; checkpoint saved to " + checkpointPath +
              " (continue with --resume)");
    throw;
  }
  saveCheckpoint();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const adapters::UNetFingerprint weightsAfter = adapters::fingerprintUNet(*pipeline_->unet());
  summary.modelWeightsUnchanged = weightsAfter.spatial.toString() == weightsBefore.spatial.toString() &&
                                  weightsAfter.motion.toString() == weightsBefore.motion.toString();
  summary.steps = step;
  summary.lastLoss = history.empty() ? 0.0 : history.back();
  summary.secondsPerStep = step > firstStep ? seconds / (step - firstStep) : 0.0;
  json record = {{"settings", trajectory_}, {"steps", step}, {"last_loss", summary.lastLoss}, {"checkpoint_dir", dir}};
  writeOutput(s_.output, record);
  summary.output = s_.output;
  job_.info("wrote " + s_.output + " after " + std::to_string(step) + " steps (last loss " +
            std::to_string(summary.lastLoss) + ")");
  return summary;
}

}  // namespace sm::training
