#include "core/io/key_maps/ldm_unet.h"

#include <cctype>
#include <set>

#include "core/util/error.h"

namespace sm::io {
namespace {

// Parses "<prefix><group>.<index>." and returns index, or -1.
int blockIndex(const std::string& key, const std::string& prefix, const std::string& group) {
  const std::string head = prefix + group + ".";
  if (key.compare(0, head.size(), head) != 0) return -1;
  size_t pos = head.size();
  int value = 0;
  size_t digits = 0;
  while (pos < key.size() && std::isdigit(static_cast<unsigned char>(key[pos])) && digits < 6) {
    value = value * 10 + (key[pos++] - '0');
    ++digits;
  }
  if (digits == 0 || pos >= key.size() || key[pos] != '.') return -1;
  return value;
}

}  // namespace

const InnerRenames& ldmResnetRenames() {
  // in_layers.1, emb_layers.0 and out_layers.1-2 are SiLU/Dropout: no parameters.
  static const InnerRenames renames{{"in_layers.0", "norm1"},          {"in_layers.2", "conv1"},
                                    {"emb_layers.1", "time_emb_proj"}, {"out_layers.0", "norm2"},
                                    {"out_layers.3", "conv2"},         {"skip_connection", "conv_shortcut"}};
  return renames;
}

LdmUNetLayout inferLdmUNetLayout(const StateDictIndex& index, const std::string& prefix) {
  std::set<int> inputBlocks, downsamplers, outputBlocks;
  for (const auto& t : index.tensors()) {
    int i = blockIndex(t.name, prefix, "input_blocks");
    if (i >= 0) {
      inputBlocks.insert(i);
      if (t.name.rfind(prefix + "input_blocks." + std::to_string(i) + ".0.op.", 0) == 0) downsamplers.insert(i);
    }
    int o = blockIndex(t.name, prefix, "output_blocks");
    if (o >= 0) outputBlocks.insert(o);
  }
  if (inputBlocks.empty() || !inputBlocks.count(0))
    throw CheckpointError(index.path, prefix + "input_blocks.0.0.weight", "UNet input convolution is missing");
  LdmUNetLayout layout;
  layout.levels = static_cast<int>(downsamplers.size()) + 1;
  const int inputCount = *inputBlocks.rbegin() + 1;
  const int perLevel = inputCount - 1 - (layout.levels - 1);
  if (perLevel <= 0 || perLevel % layout.levels != 0)
    throw CheckpointError(index.path, "",
                          "UNet input blocks do not form a known layout (" + std::to_string(inputCount) +
                              " input blocks, " + std::to_string(downsamplers.size()) + " downsamplers)");
  layout.layersPerBlock = perLevel / layout.levels;
  const int L = layout.layersPerBlock;
  for (int i = 0; i < layout.levels; ++i) {
    const std::string first = prefix + "input_blocks." + std::to_string(1 + i * (L + 1)) + ".1.";
    layout.downHasAttention.push_back(index.hasPrefix(first + "proj_in.") || index.hasPrefix(first + "norm."));
  }
  if (!outputBlocks.empty()) {
    if (*outputBlocks.rbegin() + 1 != layout.levels * (L + 1))
      throw CheckpointError(index.path, "", "UNet output blocks do not match its input blocks");
    for (int i = 0; i < layout.levels; ++i) {
      const std::string first = prefix + "output_blocks." + std::to_string(i * (L + 1)) + ".1.";
      layout.upHasAttention.push_back(index.hasPrefix(first + "proj_in.") || index.hasPrefix(first + "norm."));
    }
  }
  return layout;
}

PrefixKeyMap ldmUNetKeyMap(const LdmUNetLayout& layout) {
  const InnerRenames* resnet = &ldmResnetRenames();
  const int L = layout.layersPerBlock;
  PrefixKeyMap map;
  map.add("time_embed.0", "time_embedding.linear_1");  // time_embed.1 is SiLU
  map.add("time_embed.2", "time_embedding.linear_2");
  map.add("input_blocks.0.0", "conv_in");
  for (int i = 0; i < layout.levels; ++i) {
    const std::string down = "down_blocks." + std::to_string(i);
    for (int j = 0; j < L; ++j) {
      const std::string in = "input_blocks." + std::to_string(1 + i * (L + 1) + j);
      map.add(in + ".0", down + ".resnets." + std::to_string(j), resnet);
      map.add(in + ".1", down + ".attentions." + std::to_string(j));
    }
    if (i < layout.levels - 1)
      map.add("input_blocks." + std::to_string(1 + i * (L + 1) + L) + ".0.op", down + ".downsamplers.0.conv");
  }
  map.add("middle_block.0", "mid_block.resnets.0", resnet);
  map.add("middle_block.1", "mid_block.attentions.0");
  map.add("middle_block.2", "mid_block.resnets.1", resnet);
  for (size_t i = 0; i < layout.upHasAttention.size(); ++i) {
    const std::string up = "up_blocks." + std::to_string(i);
    for (int j = 0; j <= L; ++j) {
      const std::string out = "output_blocks." + std::to_string(static_cast<int>(i) * (L + 1) + j);
      map.add(out + ".0", up + ".resnets." + std::to_string(j), resnet);
      if (layout.upHasAttention[i]) map.add(out + ".1", up + ".attentions." + std::to_string(j));
      // The upsampler follows the last resnet (and its attention, when there is one).
      if (j == L && static_cast<int>(i) < layout.levels - 1)
        map.add(out + (layout.upHasAttention[i] ? ".2.conv" : ".1.conv"), up + ".upsamplers.0.conv");
    }
  }
  map.add("out.0", "conv_norm_out");  // out.1 is SiLU
  map.add("out.2", "conv_out");
  return map;
}

}  // namespace sm::io
