#pragma once
// Splits a single-file SD checkpoint (LDM naming) into its UNet, VAE and CLIP
// text encoder, each renamed to diffusers names, and says which keys were not
// used and why.
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"

namespace sm::io {

struct LdmComponents {
  StateDictIndex unet;
  StateDictIndex vae;
  StateDictIndex textEncoder;
  /// Keys under a component prefix that no rule maps: a foreign or damaged file.
  std::vector<std::string> unmapped;
  /// Keys deliberately not used: EMA copies, DDPM schedule buffers, position_ids.
  std::vector<std::string> ignored;
  /// Keys outside every known prefix.
  std::vector<std::string> foreign;
};

inline constexpr const char* kLdmUNetPrefix = "model.diffusion_model.";
inline constexpr const char* kLdmTextPrefix = "cond_stage_model.transformer.";

/// The VAE prefix in use ("first_stage_model." or "vae."), or "" if none.
std::string ldmVaePrefix(const StateDictIndex& checkpoint);

LdmComponents splitLdmCheckpoint(const StateDictIndex& checkpoint);

}  // namespace sm::io
