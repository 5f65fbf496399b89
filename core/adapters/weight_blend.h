#pragma once
// Puts a customized (DreamBooth / fine-tuned) checkpoint's spatial weights into
// a base network, either outright (injection) or as a linear interpolation
// W = (1 - lambda) W_base + lambda W_custom (the Still-Moving paper's
// interpolation baseline). Motion-module parameters (names containing
// ".motion_modules.") are never touched. Tensors stream one at a time from the
// file's mapping, so the model never exists twice in memory.
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::adapters {

struct BlendReport {
  size_t replaced = 0;                     ///< parameters taken from (or blended with) the customized file
  size_t motionKept = 0;                   ///< motion-module parameters left as they were
  std::vector<std::string> missing;        ///< spatial parameters the file lacks (kept)
  std::vector<std::string> shapeMismatch;  ///< "name: [base] vs [file]" (kept)
  std::vector<std::string> unknown;        ///< file tensors the base has no parameter for
  std::vector<std::string> motionInFile;   ///< motion-module tensors in the file (ignored)
};

/// Replaces every non-motion parameter of `base` that `customized` has with the
/// same name and shape (converted to the parameter's dtype and device).
BlendReport injectCustomizedWeights(torch::nn::Module& base, const io::StateDictIndex& customized);

/// W = (1 - lambda) W_base + lambda W_custom over the same set, computed in fp32.
/// lambda 0 leaves the weights bitwise unchanged; lambda 1 equals injection.
/// Throws ConfigError for a non-finite lambda.
BlendReport interpolateWeights(torch::nn::Module& base, const io::StateDictIndex& customized, float lambda);

/// True for parameters of AnimateDiff motion modules.
bool isMotionModuleParameter(const std::string& name);

}  // namespace sm::adapters
