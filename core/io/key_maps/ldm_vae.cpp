#include "core/io/key_maps/ldm_vae.h"

namespace sm::io {
namespace {
const InnerRenames kResnet{{"nin_shortcut", "conv_shortcut"}};
const InnerRenames kAttention{
    {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};
}  // namespace

int countLdmVaeLevels(const StateDictIndex& index, const std::string& prefix) {
  int levels = 0;
  while (index.hasPrefix(prefix + "encoder.down." + std::to_string(levels) + ".")) ++levels;
  return levels;
}

PrefixKeyMap ldmVaeKeyMap(int levels) {
  PrefixKeyMap map;
  for (const char* same :
       {"encoder.conv_in", "encoder.conv_out", "decoder.conv_in", "decoder.conv_out", "quant_conv", "post_quant_conv"})
    map.add(same, same);
  map.add("encoder.norm_out", "encoder.conv_norm_out");
  map.add("decoder.norm_out", "decoder.conv_norm_out");
  for (const std::string side : {"encoder", "decoder"}) {
    map.add(side + ".mid.block_1", side + ".mid_block.resnets.0", &kResnet);
    map.add(side + ".mid.block_2", side + ".mid_block.resnets.1", &kResnet);
    map.add(side + ".mid.attn_1", side + ".mid_block.attentions.0", &kAttention, /*squeezeToLinear=*/true);
  }
  for (int i = 0; i < levels; ++i) {
    const std::string n = std::to_string(i);
    const std::string reversed = std::to_string(levels - 1 - i);
    for (int j = 0; j < 8; ++j) {  // more resnets than any VAE has; unused rules are harmless
      const std::string r = std::to_string(j);
      map.add("encoder.down." + n + ".block." + r, "encoder.down_blocks." + n + ".resnets." + r, &kResnet);
      map.add("decoder.up." + n + ".block." + r, "decoder.up_blocks." + reversed + ".resnets." + r, &kResnet);
    }
    map.add("encoder.down." + n + ".downsample.conv", "encoder.down_blocks." + n + ".downsamplers.0.conv");
    map.add("decoder.up." + n + ".upsample.conv", "decoder.up_blocks." + reversed + ".upsamplers.0.conv");
  }
  return map;
}

}  // namespace sm::io
