#pragma once
// Original AnimateDiff motion-module names (mm_*.ckpt) -> diffusers
// MotionAdapter names. ref: ARCHITECTURE_FACTS.md §3.6.
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::io {

/// Renamed key, or "" for keys to drop. Of the two position tables per block
/// (attention_blocks.{0,1}.pos_encoder.pe), the first becomes diffusers'
/// `pos_embed.pe` and the second is dropped (§3.5: both hold the same sinusoid).
std::string animateDiffOriginalToDiffusers(const std::string& key);

struct RenamedMotionModule {
  StateDictIndex weights;
  std::vector<std::string> ignored;
};

/// Renames a whole original-naming motion module (keys already diffusers-named pass through).
RenamedMotionModule renameAnimateDiffOriginal(const StateDictIndex& source);

}  // namespace sm::io
