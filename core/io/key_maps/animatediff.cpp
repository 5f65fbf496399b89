#include "core/io/key_maps/animatediff.h"

#include <array>
#include <utility>

namespace sm::io {
namespace {
void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}
}  // namespace

std::string animateDiffOriginalToDiffusers(const std::string& key) {
  // Each original attention has its own position table; diffusers' block has
  // one, added before both attentions. The first attention's table becomes the
  // block's; the second's (the same sinusoid in every released file) is dropped.
  static const std::string kFirstTable = ".attention_blocks.0.pos_encoder.pe";
  if (key.ends_with(kFirstTable))
    return animateDiffOriginalToDiffusers(key.substr(0, key.size() - kFirstTable.size()) + ".pos_embed.pe");
  if (key.find(".pos_encoder.") != std::string::npos) return {};
  static const std::array<std::pair<const char*, const char*>, 6> kRenames{{
      {".temporal_transformer.", "."},
      {".norms.0.", ".norm1."},
      {".norms.1.", ".norm2."},
      {".ff_norm.", ".norm3."},
      {".attention_blocks.0.", ".attn1."},
      {".attention_blocks.1.", ".attn2."},
  }};
  std::string out = key;
  for (const auto& [from, to] : kRenames) replaceAll(out, from, to);
  return out;
}

RenamedMotionModule renameAnimateDiffOriginal(const StateDictIndex& source) {
  RenamedMotionModule out{source.withoutTensors(), {}};
  for (const auto& t : source.tensors()) {
    std::string name = animateDiffOriginalToDiffusers(t.name);
    if (name.empty()) {
      out.ignored.push_back(t.name);
      continue;
    }
    TensorInfo renamed = t;
    renamed.name = std::move(name);
    out.weights.add(std::move(renamed));
  }
  return out;
}

}  // namespace sm::io
