#pragma once
// The way back from diffusers names to a single-file SD checkpoint (LDM naming):
// the inverse of the rules ldm_checkpoint.h splits with, so that a file this
// writes splits into the same diffusers keys and shapes.
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/key_maps/ldm_unet.h"

namespace sm::io {

/// A tensor's name and shape, without its data.
struct NamedShape {
  std::string name;
  std::vector<int64_t> shape;
};

/// Where one diffusers tensor goes in an LDM checkpoint.
struct LdmExportEntry {
  std::string diffusersKey;
  std::string ldmKey;  ///< with its component prefix (model.diffusion_model., first_stage_model., ...)
  std::vector<int64_t> ldmShape;
};

inline constexpr const char* kLdmVaeExportPrefix = "first_stage_model.";

/// UNet keys (spatial only: no motion_modules) under kLdmUNetPrefix.
std::vector<LdmExportEntry> ldmUNetExport(const LdmUNetLayout& layout, const std::vector<NamedShape>& unet);
/// VAE keys under first_stage_model.; the mid-block attention's Linear weights
/// [C, C] become the 1x1 convs [C, C, 1, 1] LDM stores.
std::vector<LdmExportEntry> ldmVaeExport(int levels, const std::vector<NamedShape>& vae);
/// CLIP text keys (transformers naming, `text_model.…`) under kLdmTextPrefix.
std::vector<LdmExportEntry> ldmTextExport(const std::vector<NamedShape>& text);

/// All three, UNet first. Throws CheckpointError naming the first key that has
/// no LDM name (e.g. a motion module's), or that two keys would share.
std::vector<LdmExportEntry> ldmCheckpointExport(const LdmUNetLayout& unetLayout, const std::vector<NamedShape>& unet,
                                                int vaeLevels, const std::vector<NamedShape>& vae,
                                                const std::vector<NamedShape>& text);

}  // namespace sm::io
