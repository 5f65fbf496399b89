#pragma once
// Checks an opened model's parts against the configs Still-Moving builds them
// from: each UNet, VAE and text encoder's keys and shapes against its
// config.json, or against the config inferred from its weights when the file
// carries none. Opening and recognizing a path is core/io's (model_opener.h);
// the configs are this layer's, so the check is too.
#include <string>

#include "core/io/model_opener.h"

namespace sm::models {

/// Fills `model.info.components[i].keyCheck` for every part whose config is
/// known; a config that cannot be inferred from the weights becomes a note.
/// Throws ConfigError when a config.json is malformed (naming the file and field).
void checkComponentKeys(io::OpenedModel& model);

/// io::openModel and checkComponentKeys: what `stillmoving inspect` and the
/// Studio's model panel show. Throws as those do.
io::ModelInfo inspectModel(const std::string& path);

}  // namespace sm::models
