#pragma once
// Reads a LoRA file in any of the SD1.5 namings into one normalized list of
// low-rank pairs keyed by diffusers module paths. Supported namings
// (ARCHITECTURE_FACTS.md §7): kohya-ss (`lora_unet_*` / `lora_te_*`, diffusers
// or LDM block names, `.alpha`), diffusers/PEFT (`unet.<path>.lora_A.weight`),
// and the older diffusers ones (`processor.to_q_lora.down`,
// `lora_linear_layer.down`, `.lora.down`).
// ref: diffusers/loaders/lora_conversion_utils.py (v0.35.2) for the renames.
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/io/key_maps/ldm_unet.h"
#include "core/io/state_dict_index.h"

namespace sm::adapters {

inline constexpr const char* kLoRATargetUNet = "unet";
inline constexpr const char* kLoRATargetTextEncoder = "text_encoder";

/// One low-rank pair: the delta of `<modulePath>.weight` is
/// scale() * up @ down (reshaped to the weight; see lora_merge.h).
struct LoRAModule {
  std::string target;      ///< "unet" or "text_encoder"
  std::string modulePath;  ///< diffusers module path, e.g. down_blocks.0.attentions.0.proj_in
  std::string key;         ///< the module's name in the file, for messages
  io::TensorInfo down;     ///< [r, in] or [r, in, kh, kw]  (kohya lora_down, PEFT lora_A)
  io::TensorInfo up;       ///< [out, r] or [out, r, 1, 1]  (kohya lora_up, PEFT lora_B)
  io::TensorInfo upBias;   ///< PEFT `lora_B.bias` (lora_bias=True); empty name when absent
  float alpha = 0.0f;
  int rank = 0;
  bool rsLoRA = false;  ///< scale alpha / sqrt(r) instead of alpha / r
  /// Keeps the mapped file alive while the TensorInfos point into it.
  std::shared_ptr<const void> owner;

  double scale() const;
  bool hasUpBias() const { return !upBias.name.empty(); }
};

/// The module paths each target network has (those owning a `.weight`), used
/// to map kohya names back (their dots became underscores) and to reject
/// LoRAs for modules the network lacks. Keys: "unet", "text_encoder".
using LoRATargetPaths = std::map<std::string, std::unordered_set<std::string>>;

struct LoRAReadOptions {
  /// Unknown modules/keys are listed in LoRAFile::skipped instead of throwing.
  bool skipUnknown = false;
  /// Force rsLoRA scaling (alpha / sqrt(r)); otherwise taken from the PEFT metadata.
  bool rsLoRA = false;
  /// Block layout for kohya files with LDM block names; inferred from the
  /// "unet" paths when not set (levels == 0), SD1.5's when those are absent.
  io::LdmUNetLayout ldmLayout;
};

struct LoRAFile {
  std::string path;
  /// "kohya", "peft", "diffusers-old", or "mixed".
  std::string naming;
  std::vector<LoRAModule> modules;
  /// "key: reason" for each key left out (only with skipUnknown).
  std::vector<std::string> skipped;

  /// The modules for one target ("unet" / "text_encoder").
  std::vector<LoRAModule> forTarget(const std::string& target) const;
};

/// Normalizes a LoRA file. Throws CheckpointError naming the LoRA key for an
/// unknown module or key (unless skipUnknown), a pair missing one half, and
/// unsupported kinds (DoRA, LoHa, LoKr); ShapeError when down and up disagree
/// on the rank.
LoRAFile readLoRA(const io::StateDictIndex& index, const LoRATargetPaths& targets, const LoRAReadOptions& options = {});

/// The LDM block layout of a diffusers UNet, read off its module paths
/// (down_blocks.N.resnets.M / attentions.M, up_blocks.N.attentions.M).
io::LdmUNetLayout ldmLayoutFromModulePaths(const std::unordered_set<std::string>& unetPaths);

/// SD1.5's layout: 4 levels, 2 layers, attention on all levels but the deepest down / first up.
io::LdmUNetLayout sd15LdmLayout();

}  // namespace sm::adapters
