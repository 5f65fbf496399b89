#pragma once
// The machinery both Still-Moving training runs share: the models (fp32
// master weights, frozen), the prompt cache, micro-batches from a latent
// dataset, the diffusion loss under bf16 autocast on CUDA, and the optimizer
// loop with checkpoints, exact resume and cancel.
//
// Reproducibility: every random draw of optimizer step s, micro-batch m comes
// from a CPU generator seeded with mix(seed, s, m). A checkpoint then needs no
// RNG state: trainable weights + AdamW state + step give an exact resume.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/datasets/latent_video_dataset.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/named_tensors.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/training/training_settings.h"

namespace sm::training {

/// `<output>.checkpoints` unless the settings name a folder.
std::string checkpointDirOf(const TrainingSettings& settings);
/// What decides the trajectory of a run (models, optimizer, seed...): a resume must see the same values.
nlohmann::json trajectoryJson(const TrainingSettings& settings);

class TrainingRun {
 public:
  /// `trajectory`: trajectoryJson() plus the run's own settings; stored in
  /// checkpoints and compared on resume. Throws ConfigError for bf16 off CUDA.
  TrainingRun(const TrainingSettings& settings, nlohmann::json trajectory, jobs::JobContext& job);

  /// Loads the pipeline in fp32 on the device, freezes every model weight,
  /// switches on gradient checkpointing as the settings say.
  void loadModels(const pipelines::ModelSet& sources);
  pipelines::AnimateDiffPipeline& pipeline() { return *pipeline_; }
  torch::Device device() const { return device_; }

  /// The prompt's text embedding [1, 77, d], computed once per prompt.
  torch::Tensor embed(const std::string& prompt);
  /// A micro-batch of batchSize random samples of `dataset`: latents [B, 4, F, h, w] on the device, embeddings [B, 77,
  /// d].
  std::pair<torch::Tensor, torch::Tensor> batch(const datasets::LatentVideoDataset& dataset, int frames,
                                                at::Generator& generator);
  /// The diffusion loss of one micro-batch (bf16 autocast on CUDA unless fp32 was asked for).
  torch::Tensor loss(const torch::Tensor& latents, const torch::Tensor& embeddings, at::Generator& generator);

  /// The optimizer loop over `trainable` (AdamW, warm-up then constant LR,
  /// gradient accumulation). microLoss(step, micro, generator, series) returns
  /// one micro-batch's loss and may name the metric series it belongs to.
  /// writeOutput(path, record) writes the result at the end. Checkpoints every
  /// checkpointEvery steps, at the end, and on cancel (then rethrows sm::Cancelled).
  TrainingSummary train(const engine::NamedTensors& trainable,
                        const std::function<torch::Tensor(int, int, at::Generator&, std::string&)>& microLoss,
                        const std::function<void(const std::string& path, const nlohmann::json& record)>& writeOutput);

 private:
  /// Why the loss became `loss` at `step`, and what to lower.
  std::string divergenceMessage(double loss, int step, const engine::NamedTensors& trainable) const;

  const TrainingSettings& s_;
  nlohmann::json trajectory_;
  jobs::JobContext& job_;
  torch::Device device_;
  bool bf16_ = false;
  std::unique_ptr<pipelines::AnimateDiffPipeline> pipeline_;
  diffusion::NoiseSchedule schedule_{diffusion::NoiseScheduleConfig{}};
  std::map<std::string, torch::Tensor> prompts_;
};

}  // namespace sm::training
