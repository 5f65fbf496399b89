#pragma once
// LDM (CompVis / single-file) UNet names -> diffusers UNet2DConditionModel names.
// ref: ARCHITECTURE_FACTS.md §2.2 (input_blocks/middle_block/output_blocks rules).
#include <string>

#include "core/io/key_maps/key_map.h"

namespace sm::io {

/// The block layout of an LDM UNet, read off its keys.
struct LdmUNetLayout {
  int levels = 0;          ///< number of resolution levels (diffusers down blocks)
  int layersPerBlock = 0;  ///< resnets per down block
  std::vector<bool> downHasAttention;
  std::vector<bool> upHasAttention;  ///< empty for a ControlNet (no output blocks)
};

/// Reads the layout from the keys under `prefix` (e.g. "model.diffusion_model.").
/// Throws CheckpointError naming the file when the blocks do not add up.
LdmUNetLayout inferLdmUNetLayout(const StateDictIndex& index, const std::string& prefix);

/// Rules for conv_in, time embedding, input/middle/output blocks and conv_out.
PrefixKeyMap ldmUNetKeyMap(const LdmUNetLayout& layout);

/// LDM resblock inner names (in_layers.0 -> norm1 ...), shared with ControlNet.
const InnerRenames& ldmResnetRenames();

}  // namespace sm::io
