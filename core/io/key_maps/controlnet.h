#pragma once
// ControlNet v1/v1.1 names (control_model.*, LDM blocks) -> diffusers
// ControlNetModel names. ref: ARCHITECTURE_FACTS.md §6.
#include <string>

#include "core/io/key_maps/key_map.h"

namespace sm::io {

/// The prefix of the ControlNet in an original-naming file: "control_model."
/// or "" (files with the keys at the top level).
std::string controlNetOriginalPrefix(const StateDictIndex& index);

/// Renames the ControlNet under `prefix` to diffusers names.
RenamedComponent renameControlNetOriginal(const StateDictIndex& source, const std::string& prefix);

}  // namespace sm::io
