#include "core/io/key_maps/controlnet.h"

#include "core/io/key_maps/ldm_unet.h"

namespace sm::io {

std::string controlNetOriginalPrefix(const StateDictIndex& index) {
  return index.hasPrefix("control_model.") ? "control_model." : "";
}

RenamedComponent renameControlNetOriginal(const StateDictIndex& source, const std::string& prefix) {
  PrefixKeyMap map = ldmUNetKeyMap(inferLdmUNetLayout(source, prefix));
  // input_hint_block: convs at even indices, SiLU at odd ones.
  map.add("input_hint_block.0", "controlnet_cond_embedding.conv_in");
  int last = 0;
  for (int i = 2; source.hasPrefix(prefix + "input_hint_block." + std::to_string(i) + "."); i += 2) last = i;
  for (int i = 2; i < last; i += 2)
    map.add("input_hint_block." + std::to_string(i), "controlnet_cond_embedding.blocks." + std::to_string(i / 2 - 1));
  if (last > 0) map.add("input_hint_block." + std::to_string(last), "controlnet_cond_embedding.conv_out");
  for (int i = 0; source.hasPrefix(prefix + "zero_convs." + std::to_string(i) + "."); ++i)
    map.add("zero_convs." + std::to_string(i) + ".0", "controlnet_down_blocks." + std::to_string(i));
  map.add("middle_block_out.0", "controlnet_mid_block");
  return renameComponent(source, prefix, map);
}

}  // namespace sm::io
