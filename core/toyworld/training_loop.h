#pragma once
// One resumable optimisation loop for the toy world's stages: AdamW over named
// float32 tensors, a warm-up then constant learning rate, gradient clipping,
// checkpoints (tensors, optimizer state, loss history, seconds spent) written
// atomically every few steps and on cancel, and resumed from when present.
// Every step's randomness comes from a generator seeded by (seed, step), so a
// resumed run draws what the uninterrupted one would have.
#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/engine/named_tensors.h"
#include "core/jobs/job.h"

namespace sm::toyworld {

struct TrainingLoopSpec {
  std::string stage;           ///< progress label, e.g. "VAE"
  std::string checkpointPath;  ///< resumed from when it exists
  int64_t steps = 1000;
  int64_t checkpointEvery = 200;
  double learningRate = 1e-4;
  int64_t warmupSteps = 100;
  double weightDecay = 0.01;
  double gradClip = 1.0;
  uint64_t seed = 0;
  engine::NamedTensors params;  ///< what trains (float32)
  /// The loss of one step (a scalar with a graph to `params`).
  std::function<torch::Tensor(int64_t step, at::Generator& generator)> loss;
};

struct TrainingLoopResult {
  std::vector<double> losses;  ///< one per step, resumed steps included
  double seconds = 0;          ///< compute time over all sessions
};

/// Runs (or finishes) the loop. Throws sm::Cancelled after checkpointing when cancelled.
TrainingLoopResult runTrainingLoop(const TrainingLoopSpec& spec, jobs::JobContext& job);

/// The mean of the last `window` losses (the figure model cards report).
double tailMean(const std::vector<double>& losses, size_t window = 50);

}  // namespace sm::toyworld
