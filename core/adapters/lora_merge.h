#pragma once
// Merges LoRA deltas into a network's weights in place:
//   W += strength * scale * up @ down     (scale = alpha / r, or alpha / sqrt(r) for rsLoRA)
// for Linear [out, in], 1x1 conv [out, in, 1, 1] and kxk conv [out, in, kh, kw]
// (down [r, in, kh, kw], up [out, r, 1, 1]: a sum over r). The target is any
// module whose parameter names are diffusers names (`<modulePath>.weight`).
// Arithmetic is fp32 on the weight's device; the result is cast back to the
// weight's dtype. ref: ARCHITECTURE_FACTS.md §7.1 (delta formulas).
#include <torch/nn/module.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "core/adapters/lora_file.h"

namespace sm::adapters {

/// Adds the deltas of the modules whose `target` equals `targetName`; the
/// others are ignored. Every module is checked before any weight changes:
/// CheckpointError naming the LoRA key when the target lacks the module,
/// ShapeError naming the LoRA tensor when its shape does not fit the weight.
/// Strength 0 validates and leaves the weights bitwise unchanged.
void mergeLoRA(torch::nn::Module& target, const std::string& targetName, const std::vector<LoRAModule>& modules,
               float strength);

/// Subtracts what mergeLoRA added (exact up to rounding for fp32 weights).
void unmergeLoRA(torch::nn::Module& target, const std::string& targetName, const std::vector<LoRAModule>& modules,
                 float strength);

/// Paths of the modules owning a `.weight` parameter, e.g.
/// "down_blocks.0.attentions.0.proj_in": what readLoRA maps LoRA names onto.
std::unordered_set<std::string> weightModulePaths(const torch::nn::Module& module);

}  // namespace sm::adapters
