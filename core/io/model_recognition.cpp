#include "core/io/model_recognition.h"

#include <algorithm>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/controlnet.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/model_opener.h"
#include "core/util/error.h"

namespace sm::io {
namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
ComponentReport component(const std::string& name, const StateDictIndex& w) {
  return {name, w.path, w.size(), w.parameterCount(), std::nullopt};
}

bool anyKey(const StateDictIndex& w, const char* part) {
  return std::any_of(w.tensors().begin(), w.tensors().end(),
                     [&](const TensorInfo& t) { return contains(t.name, part); });
}

void recognizeLdmCheckpoint(ModelInfo& info, const StateDictIndex& w) {
  info.kind = ModelKind::SD15Checkpoint;
  info.naming = "ldm";
  LdmComponents parts = splitLdmCheckpoint(w);
  info.variant = sdVariant(parts.unet);
  info.components.push_back(component("unet", parts.unet));
  if (parts.vae.size())
    info.components.push_back(component("vae", parts.vae));
  else
    info.notes.push_back("no VAE in this file: a separate VAE is needed");
  if (parts.textEncoder.size())
    info.components.push_back(component("text_encoder", parts.textEncoder));
  else
    info.notes.push_back("no CLIP text encoder in this file: a separate one is needed");
  for (const auto& k : parts.unmapped) info.notes.push_back("unmapped key '" + k + "'");
  if (!parts.ignored.empty())
    info.notes.push_back("ignored " + std::to_string(parts.ignored.size()) +
                         " keys not needed for inference (EMA copy, schedule buffers, position_ids)");
  if (w.hasPrefix("control_model.")) {
    info.kind = ModelKind::ControlNet;
    info.naming = "original";
    info.notes.push_back("a ControlNet v1.0 file that also carries a whole SD model");
  } else if (!parts.foreign.empty()) {
    info.notes.push_back(std::to_string(parts.foreign.size()) + " keys belong to no SD component, e.g. '" +
                         parts.foreign.front() + "'");
  }
}

void recognizeMotionModule(ModelInfo& info, const StateDictIndex& w) {
  info.kind = ModelKind::MotionModule;
  const bool original = anyKey(w, ".temporal_transformer.");
  info.naming = original ? "original" : "diffusers";
  RenamedMotionModule renamed = original ? renameAnimateDiffOriginal(w) : RenamedMotionModule{};
  const StateDictIndex& named = original ? renamed.weights : w;
  std::set<std::string> modules;
  int64_t peLength = 0;
  for (const auto& t : w.tensors()) {
    auto pos = t.name.find(".motion_modules.");
    if (pos == std::string::npos) continue;
    auto end = t.name.find('.', pos + 16);
    modules.insert(t.name.substr(0, end));
    if ((contains(t.name, ".pos_encoder.pe") || contains(t.name, ".pos_embed.pe")) && t.shape.size() == 3)
      peLength = t.shape[1];
  }
  const bool mid = named.hasPrefix("mid_block.motion_modules.");
  // v1 and v3 have the same tensors; only the position table's length (24 vs 32) tells them apart.
  info.variant = mid ? "v2" : peLength == 24 ? "v1" : peLength == 32 ? "v3" : "v1-or-v3";
  info.notes.push_back(std::to_string(modules.size()) + " motion modules" +
                       (peLength ? ", position table for " + std::to_string(peLength) + " frames" : ""));
  // Parameters as diffusers counts them: the position tables are buffers, not parameters.
  ComponentReport c{"motion_modules", w.path, 0, 0, std::nullopt};
  for (const auto& t : named.tensors()) {
    if (contains(t.name, ".pos_embed.pe")) continue;
    ++c.tensors;
    c.parameters += t.numel();
  }
  info.components.push_back(c);
}

void recognizeLoRA(ModelInfo& info, const StateDictIndex& w) {
  info.kind = ModelKind::LoRA;
  if (anyKey(w, ".lora_down.") || anyKey(w, ".lora_up."))
    info.naming = "kohya";
  else if (anyKey(w, "_lora.down.") || anyKey(w, "_lora.up.") || anyKey(w, ".lora.down.") ||
           anyKey(w, ".lora_linear_layer."))
    info.naming = "diffusers-old";
  else
    info.naming = "peft";
  bool unet = false, text = false, motion = false;
  int64_t rank = 0;
  for (const auto& t : w.tensors()) {
    const std::string& k = t.name;
    if (k.rfind("lora_unet_", 0) == 0 || k.rfind("unet.", 0) == 0) unet = true;
    if (k.rfind("lora_te", 0) == 0 || k.rfind("text_encoder.", 0) == 0) text = true;
    if (contains(k, "motion_modules")) motion = true;
    if ((contains(k, "lora_down.weight") || contains(k, "lora_A.weight") || contains(k, "_lora.down.weight")) &&
        !t.shape.empty())
      rank = std::max(rank, t.shape[0]);
  }
  if (!unet && !text) unet = true;  // bare peft keys name UNet modules
  info.variant = motion ? "motion" : unet && text ? "unet+text-encoder" : text ? "text-encoder" : "unet";
  if (rank) info.notes.push_back("rank " + std::to_string(rank));
}

bool isLoRA(const StateDictIndex& w) {
  for (const char* marker : {".lora_down.", ".lora_up.", ".lora_A.", ".lora_B.", "_lora.down.", "_lora.up.",
                             ".lora.down.", ".lora_linear_layer."})
    if (anyKey(w, marker)) return true;
  return false;
}

std::string firstKeys(const StateDictIndex& w) {
  std::string out;
  for (size_t i = 0; i < w.size() && i < 3; ++i) out += (i ? ", '" : "'") + w.tensors()[i].name + "'";
  return out;
}

}  // namespace

std::string sdVariant(const StateDictIndex& unet) {
  const TensorInfo* convIn = unet.find("conv_in.weight");
  if (convIn && convIn->shape.size() == 4 && convIn->shape[1] == 9) return "sd15-inpainting";
  for (const auto& t : unet.tensors())
    if (contains(t.name, ".attn2.to_k.weight") && t.shape.size() == 2 && t.shape[1] == 1024) return "sd2";
  return "sd15";
}

std::string_view modelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::SD15Checkpoint: return "sd15-checkpoint";
    case ModelKind::DiffusersPipeline: return "diffusers-pipeline";
    case ModelKind::UNet: return "unet";
    case ModelKind::VAE: return "vae";
    case ModelKind::TextEncoder: return "text-encoder";
    case ModelKind::MotionModule: return "motion-module";
    case ModelKind::ControlNet: return "controlnet";
    case ModelKind::LoRA: return "lora";
    case ModelKind::StillMovingAdapter: return "stillmoving-adapter";
  }
  return "unknown";
}

bool ModelInfo::keysOk() const {
  return std::all_of(components.begin(), components.end(),
                     [](const ComponentReport& c) { return !c.keyCheck || c.keyCheck->ok(); });
}

void ModelInfo::addTensors(const StateDictIndex& w) {
  tensors += w.size();
  parameters += w.parameterCount();
  for (const auto& t : w.tensors()) dtypes.insert(std::string(dtypeName(t.dtype)));
}

ModelInfo recognizeWeights(const StateDictIndex& w) {
  ModelInfo info;
  info.path = w.path;
  info.format = w.format;
  info.metadata = w.metadata;
  info.addTensors(w);
  auto format = w.metadata.find("format");
  if (format != w.metadata.end() && format->second == "stillmoving-adapter") {
    info.kind = ModelKind::StillMovingAdapter;
    info.naming = "stillmoving";
    auto kind = w.metadata.find("kind");
    info.variant = kind == w.metadata.end() ? "" : kind->second;
  } else if (isLoRA(w)) {
    recognizeLoRA(info, w);
  } else if (w.hasPrefix(kLdmUNetPrefix)) {
    recognizeLdmCheckpoint(info, w);
  } else if (w.hasPrefix("control_model.") || w.contains("input_hint_block.0.weight")) {
    info.kind = ModelKind::ControlNet;
    info.naming = "original";
    info.variant = "sd15";
    RenamedComponent c = renameControlNetOriginal(w, controlNetOriginalPrefix(w));
    info.components.push_back({"controlnet", w.path, c.weights.size(), c.weights.parameterCount(), std::nullopt});
    for (const auto& k : c.unmapped) info.notes.push_back("unmapped key '" + k + "'");
  } else if (w.contains("controlnet_cond_embedding.conv_in.weight")) {
    info.kind = ModelKind::ControlNet;
    info.naming = "diffusers";
    info.variant = "sd15";
    info.components.push_back(component("controlnet", w));
  } else if (anyKey(w, ".motion_modules.")) {
    recognizeMotionModule(info, w);
  } else if (w.contains("conv_in.weight") && w.hasPrefix("down_blocks.")) {
    info.kind = ModelKind::UNet;
    info.naming = "diffusers";
    info.variant = sdVariant(w);
    info.components.push_back(component("unet", w));
  } else if (w.contains("encoder.conv_in.weight") && w.contains("decoder.conv_in.weight")) {
    info.kind = ModelKind::VAE;
    info.naming = w.hasPrefix("encoder.down.") ? "ldm" : "diffusers";
    info.variant = "sd15";
  } else if (w.contains("text_model.embeddings.token_embedding.weight")) {
    info.kind = ModelKind::TextEncoder;
    info.naming = "transformers";
    info.variant = "clip";
  } else {
    throw CheckpointError(w.path, w.size() == 0 ? "holds no tensors"
                                                : "its " + std::to_string(w.size()) +
                                                      " tensors match no model layout Still-Moving reads (SD 1.5 "
                                                      "checkpoint, diffusers, AnimateDiff, ControlNet, LoRA); first "
                                                      "keys: " +
                                                      firstKeys(w));
  }
  return info;
}

ModelInfo recognizeModel(const std::string& path) { return openModel(path).info; }

}  // namespace sm::io
