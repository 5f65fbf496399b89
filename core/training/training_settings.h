#pragma once
// What a Still-Moving training run is asked to do: LibTorch-free, shared by
// the CLI and the Studio. The trainers live in still_moving_trainer.h.
#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/pipelines/model_set.h"

namespace sm::training {

/// Settings every training run has.
struct TrainingSettings {
  /// The video model: base T2I + motion module (+ customized weights / LoRAs for the Spatial Adapters).
  pipelines::ModelSet model;
  /// auto|cpu|cuda.
  std::string device = "auto";
  /// Compute precision: auto (bf16 autocast on CUDA and on CPUs with AMX or AVX512-BF16, else fp32) | fp32 | bf16.
  /// Weights and adapters stay fp32 either way.
  std::string precision = "auto";
  /// The trained adapter file (.safetensors).
  std::string output;
  /// Where checkpoints go; "" means `<output>.checkpoints/`.
  std::string checkpointDir;
  int steps = 1000;
  int batchSize = 1;
  /// Micro-batches whose gradients add up to one optimizer step.
  int gradientAccumulation = 1;
  double learningRate = 1e-4;
  int warmupSteps = 50;
  double weightDecay = 1e-2;
  /// Above 1: the diffusion loss weighted by clamp(1/SNR, 1, this) (DiffusionLossOptions::highNoiseWeightCap).
  double highNoiseWeightCap = 0;
  int rank = 32;
  /// A checkpoint every N optimizer steps (0: only at the end and on cancel).
  int checkpointEvery = 100;
  /// Recompute each UNet block's activations in the backward pass: far less memory, ~30% more time.
  bool gradientCheckpointing = true;
  /// Frames per training video; 0 takes the dataset's.
  int frames = 0;
  /// Everything random (adapter init, sample order, timesteps, noise) follows from it.
  uint64_t seed = 0;
  /// Continue from the checkpoint in checkpointDir (settings must match, steps may grow).
  bool resume = false;
  /// Start afresh although an earlier run left its checkpoint or output here: both are replaced.
  /// Without it (or resume) such a run is refused, so that no training is lost by accident.
  bool overwrite = false;
  /// Train although the memory estimate exceeds the free memory.
  bool force = false;
};

/// `train motion-adapter`: the base T2V at a = 1 on frozen videos.
struct MotionAdapterTrainingSettings : TrainingSettings {
  /// A frozen-video dataset folder (stillmoving dataset frozen).
  std::string dataset;
};

/// `train spatial-adapters`: customized weights injected, only the Spatial
/// Adapters learn, through the whole video model.
struct SpatialAdaptersTrainingSettings : TrainingSettings {
  /// Frozen videos of the customized T2I's images (trained with the Motion Adapter at a = 1).
  std::string customDataset;
  /// Natural videos for prior preservation (at a = 0); "" is the paper's "no prior preservation" ablation.
  std::string priorDataset;
  /// The trained Motion Adapter; "" is the "no Motion Adapter" ablation (frozen videos at a = 0).
  std::string motionAdapter;
  /// Share of micro-batches drawn from the prior videos.
  double priorRatio = 0.5;
  /// Spatial Adapter layer groups (adapters::spatialAdapterGroups()); empty: all.
  std::vector<std::string> groups;
  /// The ablation "all spatial weights trained instead of adapters": the
  /// output is then a UNet weights file, usable as a customized model (--custom).
  bool trainAllSpatialWeights = false;
};

struct TrainingSummary {
  int steps = 0;          ///< optimizer steps done in total (resumed ones included)
  int resumedFrom = 0;    ///< the step the run resumed from (0: a fresh run)
  double lastLoss = 0.0;  ///< mean loss of the last step
  double secondsPerStep = 0.0;
  std::string output;      ///< the adapter (or weights) file written
  std::string checkpoint;  ///< the last checkpoint written
  /// Whether the model's own weights were the same after training as before
  /// (fingerprints): true whenever only adapters learn.
  bool modelWeightsUnchanged = false;
};

/// Throw ConfigError naming the first bad setting (run before any model loads).
/// The Motion Adapter is trained on the base model only: a customized model or
/// LoRAs in its settings are refused.
void validate(const MotionAdapterTrainingSettings& settings);
/// What an earlier run left where this one writes ("the checkpoint folder X and the output Y"),
/// "" when nothing: a fresh run (neither resume nor overwrite) is refused when there is something.
std::string earlierRunFiles(const TrainingSettings& settings);
void validate(const SpatialAdaptersTrainingSettings& settings);

/// The runs themselves (still_moving_trainer.cpp). They report progress per
/// step, the metric series "loss" (and "loss/prior", "loss/custom"), write a
/// checkpoint every checkpointEvery steps and, when cancelled, one more before
/// throwing sm::Cancelled. Throw ConfigError / CheckpointError / OutOfMemoryError.
TrainingSummary trainMotionAdapter(const MotionAdapterTrainingSettings& settings, jobs::JobContext& job);
TrainingSummary trainSpatialAdapters(const SpatialAdaptersTrainingSettings& settings, jobs::JobContext& job);

}  // namespace sm::training
