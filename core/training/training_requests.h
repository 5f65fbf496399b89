#pragma once
// Rules about training requests that the CLI and the Studio share, so that
// neither writes its own copy: defaults that depend on other settings, the
// output's form, and what a finished training hands on to generation.
#include <string>

#include "core/pipelines/model_set.h"
#include "core/training/training_settings.h"

namespace sm::training {

/// The share of prior-video micro-batches when the user names none: 0.5 with
/// a prior dataset (the paper's prior preservation), 0 without one.
double defaultPriorRatio(bool hasPriorDataset);

/// Throws ConfigError naming `output` unless it is a .safetensors file in an existing folder.
void requireAdapterOutput(const std::string& output);

/// The models a finished training's adapter is used with: the ones it was
/// trained on (base, motion module, customized model, LoRAs), plus the adapters.
pipelines::ModelSet generationModelsOf(const MotionAdapterTrainingSettings& settings);
pipelines::ModelSet generationModelsOf(const SpatialAdaptersTrainingSettings& settings);

}  // namespace sm::training
