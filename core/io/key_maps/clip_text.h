#pragma once
// CLIP text encoder names as SD checkpoints store them -> transformers names
// with the `text_model.` level. ref: ARCHITECTURE_FACTS.md §2.4.
#include "core/io/key_maps/key_map.h"

namespace sm::io {

/// "embeddings.x" -> "text_model.embeddings.x"; names already under
/// "text_model." are kept. Empty for keys to drop (position_ids: a buffer
/// that merged checkpoints sometimes carry corrupted; positions are 0..76).
std::string clipTextKey(const std::string& keyWithoutPrefix);

/// Renames the text encoder under `prefix` (e.g. "cond_stage_model.transformer.").
/// Dropped keys are added to `ignored`.
StateDictIndex renameClipText(const StateDictIndex& source, const std::string& prefix,
                              std::vector<std::string>& ignored);

}  // namespace sm::io
