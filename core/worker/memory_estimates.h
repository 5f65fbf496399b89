#pragma once
// The peak-memory estimate of each job a compute worker runs, from its
// settings alone (no model is loaded: a second, before anything else), for
// util::requireMemory. The models' terms (weights, activations) are where the
// models run, GPU memory or RAM; decoded frames and previews are always in RAM.
// Every term is a simple product of the settings that drive it, sized for
// SD 1.5 widths (UNet 320 channels, VAE 128 at full resolution); see
// docs/RELIABILITY.md for the terms and how they were chosen.
#include "core/util/memory_budget.h"
#include "core/worker/jobs.h"

namespace sm::worker {

util::MemoryEstimate estimateGeneration(const GenerateJob& job);
util::MemoryEstimate estimateFrozenDataset(const datasets::FrozenDatasetSettings& settings);
util::MemoryEstimate estimatePriorDataset(const datasets::PriorDatasetSettings& settings);
/// `dataset`: the frozen-video dataset the run trains on (its size and frames).
util::MemoryEstimate estimateTraining(const training::TrainingSettings& settings, const std::string& dataset);

/// The free memory where a job runs: RAM, and with the models on a GPU (`gpu`) the GPU's.
util::FreeMemory freeMemory(bool gpu);

}  // namespace sm::worker
