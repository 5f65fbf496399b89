#pragma once
// Builds a ControlNetModel from a file for a given base UNet: a diffusers
// ControlNetModel folder (config.json + weights) or a single file in the
// original naming (control_model.* keys, .safetensors or .pth), whose config
// is the base UNet's with the conditioning embedding read from the shapes.
// Either way the file must fit the base: its residuals are added to the
// base's skip tensors, so every shape is checked against the ControlNet the
// base would have, and the first one that differs is named.
#include <torch/types.h>

#include <string>

#include "core/io/model_opener.h"
#include "core/models/controlnet/controlnet_config.h"
#include "core/models/controlnet/controlnet_model.h"
#include "core/models/unet/unet_config.h"

namespace sm::models {

struct ControlNetLoadReport {
  std::string weightsPath;
  std::string naming;  ///< "diffusers" or "original"
  ControlNetConfig config;
};

/// The config of the ControlNet in `opened`, checked against `base`. Throws
/// CheckpointError naming the file (not a ControlNet; a tensor whose shape the
/// base does not allow, naming the first one; a config the base cannot take).
ControlNetConfig controlNetConfigFor(const io::OpenedModel& opened, const UNetConfig& base);

/// Loads the ControlNet of `path` for `base` onto `device` in `dtype` (eval mode).
ControlNetModel loadControlNet(const std::string& path, const UNetConfig& base, torch::Device device,
                               torch::ScalarType dtype, ControlNetLoadReport* report = nullptr);

}  // namespace sm::models
