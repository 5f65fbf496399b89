#pragma once
// LDM VAE names (first_stage_model.*) -> diffusers AutoencoderKL names.
// ref: ARCHITECTURE_FACTS.md §2.3 (decoder up blocks are numbered in reverse).
#include "core/io/key_maps/key_map.h"

namespace sm::io {

/// Number of encoder resolution levels under `prefix` (encoder.down.N).
int countLdmVaeLevels(const StateDictIndex& index, const std::string& prefix);
PrefixKeyMap ldmVaeKeyMap(int levels);

}  // namespace sm::io
