#pragma once
// The peak-memory estimate of each job a compute worker runs, from its
// settings alone (no model is loaded: a second, before anything else), for
// util::requireMemory. Terms on the CPU only: a GPU's own memory is guarded by
// engine::guardMemory, which turns CUDA's out-of-memory into a clean message.
// Every term is a simple product of the settings that drive it, sized for
// SD 1.5 widths (UNet 320 channels, VAE 128 at full resolution); see
// docs/RELIABILITY.md for the terms and how they were chosen.
#include "core/util/memory_budget.h"
#include "core/worker/jobs.h"

namespace sm::worker {

/// `onCpu`: whether the models run on the CPU (their weights and activations
/// then count too); decoded frames and previews are in CPU memory either way.
util::MemoryEstimate estimateGeneration(const GenerateJob& job, bool onCpu);
util::MemoryEstimate estimateFrozenDataset(const datasets::FrozenDatasetSettings& settings, bool onCpu);
util::MemoryEstimate estimatePriorDataset(const datasets::PriorDatasetSettings& settings, bool onCpu);
/// `dataset`: the frozen-video dataset the run trains on (its size and frames).
util::MemoryEstimate estimateTraining(const training::TrainingSettings& settings, const std::string& dataset,
                                      bool onCpu);

}  // namespace sm::worker
