#pragma once
// The folder half of the opener (model_opener.h): a diffusers pipeline folder,
// one diffusers/transformers model folder, or a folder holding just a weights file.
#include <filesystem>

#include "core/io/model_opener.h"

namespace sm::io {

OpenedModel openDiffusersFolder(const std::filesystem::path& folder);

/// The parts a weights file holds, in diffusers names, by what recognition
/// found in it (an LDM checkpoint's UNet, VAE and text encoder; a motion
/// module renamed from the original naming...). Shared with the single-file opener.
std::vector<OpenedComponent> componentsOfWeights(const ModelInfo& info,
                                                 const std::shared_ptr<const StateDictIndex>& weights);

}  // namespace sm::io
