#include "core/io/key_maps/ldm_export.h"

#include <unordered_set>

#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/key_maps/ldm_vae.h"
#include "core/util/error.h"

namespace sm::io {
namespace {

std::vector<LdmExportEntry> unmapAll(const PrefixKeyMap& map, const std::string& prefix,
                                     const std::vector<NamedShape>& tensors, const char* component) {
  std::vector<LdmExportEntry> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    bool unsqueeze = false;
    const std::string key = map.unmap(t.name, &unsqueeze);
    if (key.empty()) throw CheckpointError("", t.name, std::string("has no LDM name (") + component + ")");
    LdmExportEntry entry{t.name, prefix + key, t.shape};
    // The inverse of renameComponent's squeeze: Linear [C, C] -> 1x1 conv [C, C, 1, 1].
    if (unsqueeze && entry.ldmShape.size() == 2) entry.ldmShape.insert(entry.ldmShape.end(), {1, 1});
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::vector<LdmExportEntry> ldmUNetExport(const LdmUNetLayout& layout, const std::vector<NamedShape>& unet) {
  return unmapAll(ldmUNetKeyMap(layout), kLdmUNetPrefix, unet, "UNet");
}

std::vector<LdmExportEntry> ldmVaeExport(int levels, const std::vector<NamedShape>& vae) {
  return unmapAll(ldmVaeKeyMap(levels), kLdmVaeExportPrefix, vae, "VAE");
}

std::vector<LdmExportEntry> ldmTextExport(const std::vector<NamedShape>& text) {
  std::vector<LdmExportEntry> out;
  out.reserve(text.size());
  for (const auto& t : text) {
    // clipTextKey's inverse: SD checkpoints keep transformers' `text_model.` level.
    if (!startsWithModule(t.name, "text_model"))
      throw CheckpointError("", t.name, "has no LDM name (CLIP text keys start with 'text_model.')");
    out.push_back({t.name, kLdmTextPrefix + t.name, t.shape});
  }
  return out;
}

std::vector<LdmExportEntry> ldmCheckpointExport(const LdmUNetLayout& unetLayout, const std::vector<NamedShape>& unet,
                                                int vaeLevels, const std::vector<NamedShape>& vae,
                                                const std::vector<NamedShape>& text) {
  std::vector<LdmExportEntry> out = ldmUNetExport(unetLayout, unet);
  auto append = [&out](std::vector<LdmExportEntry> more) {
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  append(ldmVaeExport(vaeLevels, vae));
  append(ldmTextExport(text));
  std::unordered_set<std::string> seen;
  for (const auto& e : out)
    if (!seen.insert(e.ldmKey).second)
      throw CheckpointError("", e.diffusersKey, "maps to LDM key '" + e.ldmKey + "', which another tensor has");
  return out;
}

}  // namespace sm::io
