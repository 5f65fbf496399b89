#include "core/io/key_maps/clip_text.h"

namespace sm::io {

std::string clipTextKey(const std::string& key) {
  std::string out = startsWithModule(key, "text_model") ? key : "text_model." + key;
  if (out == "text_model.embeddings.position_ids") return {};
  return out;
}

StateDictIndex renameClipText(const StateDictIndex& source, const std::string& prefix,
                              std::vector<std::string>& ignored) {
  StateDictIndex out = source.withoutTensors();
  for (const auto& t : source.tensors()) {
    if (t.name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string name = clipTextKey(t.name.substr(prefix.size()));
    if (name.empty()) {
      ignored.push_back(t.name);
      continue;
    }
    TensorInfo renamed = t;
    renamed.name = std::move(name);
    out.add(std::move(renamed));
  }
  return out;
}

}  // namespace sm::io
