#pragma once
// torch::optim::AdamW's state by parameter name, for training checkpoints.
// LibTorch keys an optimizer's state by tensor identity, which does not
// survive the process, and its own archive (torch::save) is no safetensors
// file; here the state travels under the trainable tensors' names instead,
// so that a resumed run continues bit for bit where the saved one stopped.
//
// Trainable tensors are float32: the trainer keeps adapters and master
// weights in float32 (bf16 comes from autocast), so AdamW needs no float32
// master copies of lower-precision parameters.
#include <torch/optim/adamw.h>

#include <string>
#include <vector>

#include "core/engine/named_tensors.h"

namespace sm::training {

/// The tensors of `params`, in order, for torch::optim::AdamW. Throws
/// ConfigError for an empty or repeated name or a tensor that is undefined or
/// not float32 (naming it).
std::vector<torch::Tensor> trainableTensors(const engine::NamedTensors& params);

/// Sets every parameter group's learning rate: the schedule's rate for the next step().
void setLearningRate(torch::optim::Optimizer& optimizer, double lr);

/// The per-parameter state, by name: for each parameter that has taken a
/// step, "<name>.step" (int64 scalar), "<name>.exp_avg", "<name>.exp_avg_sq"
/// (and "<name>.max_exp_avg_sq" with amsgrad), the parameter's shape. A
/// parameter that never had a gradient has no state yet, and no entry. The
/// tensors are the optimizer's own: copy them before changing them.
engine::NamedTensors adamWState(const torch::optim::AdamW& optimizer, const engine::NamedTensors& params);

/// The first parameter group's options as a JSON object: lr (the last rate
/// set), betas, eps, weight_decay, amsgrad.
std::string adamWOptionsJson(const torch::optim::AdamW& optimizer);

/// Replaces the options of every parameter group and the state of `params`
/// with what adamWOptionsJson() and adamWState() returned (state from any
/// device; it lands on each parameter's). Everything is checked first: a bad
/// state throws ConfigError naming the entry and leaves the optimizer as it was.
void loadAdamWState(torch::optim::AdamW& optimizer, const engine::NamedTensors& params,
                    const engine::NamedTensors& state, const std::string& optionsJson);

}  // namespace sm::training
