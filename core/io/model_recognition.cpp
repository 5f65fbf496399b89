#include "core/io/model_recognition.h"

#include <algorithm>
#include <filesystem>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/controlnet.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/state_dict_reader.h"
#include "core/models/clip/clip_text_config.h"
#include "core/models/config_json.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::io {
namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
bool anyKey(const StateDictIndex& w, const char* part) {
  return std::any_of(w.tensors().begin(), w.tensors().end(),
                     [&](const TensorInfo& t) { return contains(t.name, part); });
}

void addTotals(ModelInfo& info, const StateDictIndex& w) {
  info.tensors += w.size();
  info.parameters += w.parameterCount();
  for (const auto& t : w.tensors()) info.dtypes.insert(std::string(dtypeName(t.dtype)));
}

ComponentReport component(const std::string& name, const StateDictIndex& w,
                          std::optional<std::vector<models::ExpectedTensor>> expected) {
  ComponentReport c{name, w.path, w.size(), w.parameterCount(), std::nullopt};
  if (expected) c.keyCheck = models::checkTensors(w, *expected);
  return c;
}

template <typename Config>
std::optional<std::vector<models::ExpectedTensor>> expectedFromWeights(const StateDictIndex& w,
                                                                       std::vector<std::string>& notes,
                                                                       const std::string& what) {
  if (w.size() == 0) return std::nullopt;
  try {
    return Config::inferFromWeights(w).expectedTensors();
  } catch (const Error& e) {
    notes.push_back(what + ": cannot infer its config: " + e.what());
    return std::nullopt;
  }
}

std::string sdFamily(const StateDictIndex& unet) {
  const TensorInfo* convIn = unet.find("conv_in.weight");
  if (convIn && convIn->shape.size() == 4 && convIn->shape[1] == 9) return "sd15-inpainting";
  for (const auto& t : unet.tensors())
    if (contains(t.name, ".attn2.to_k.weight") && t.shape.size() == 2 && t.shape[1] == 1024) return "sd2";
  return "sd15";
}

void recognizeLdmCheckpoint(ModelInfo& info, const StateDictIndex& w) {
  info.kind = ModelKind::SD15Checkpoint;
  info.naming = "ldm";
  LdmComponents parts = splitLdmCheckpoint(w);
  info.variant = sdFamily(parts.unet);
  info.components.push_back(
      component("unet", parts.unet, expectedFromWeights<models::UNetConfig>(parts.unet, info.notes, "unet")));
  if (parts.vae.size())
    info.components.push_back(
        component("vae", parts.vae, expectedFromWeights<models::VAEConfig>(parts.vae, info.notes, "vae")));
  else
    info.notes.push_back("no VAE in this file: a separate VAE is needed");
  if (parts.textEncoder.size())
    info.components.push_back(
        component("text_encoder", parts.textEncoder,
                  expectedFromWeights<models::CLIPTextConfig>(parts.textEncoder, info.notes, "text_encoder")));
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
  // Parameters as diffusers counts them: the position tables are buffers, recomputed on load.
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

std::string className(const nlohmann::json& config) {
  if (config.contains("_class_name") && config["_class_name"].is_string()) return config["_class_name"];
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty() &&
      config["architectures"][0].is_string())
    return config["architectures"][0];
  return {};
}

ComponentReport diffusersComponent(ModelInfo& info, const std::string& name, const fs::path& folder) {
  const fs::path configPath = folder / "config.json";
  if (!fs::exists(configPath))
    throw CheckpointError(configPath.string(), "missing: every diffusers model folder has one");
  const nlohmann::json config = models::readJsonFile(configPath.string());
  const std::string weightsPath = diffusersWeightsFile(folder.string());
  const StateDictIndex w = readStateDict(weightsPath);
  addTotals(info, w);
  const std::string cls = className(config);
  std::optional<std::vector<models::ExpectedTensor>> expected;
  if (cls == "UNet2DConditionModel")
    expected = models::UNetConfig::fromJson(config, configPath.string()).expectedTensors();
  else if (cls == "AutoencoderKL")
    expected = models::VAEConfig::fromJson(config, configPath.string()).expectedTensors();
  else if (cls == "CLIPTextModel")
    expected = models::CLIPTextConfig::fromJson(config, configPath.string()).expectedTensors();
  ComponentReport c = component(name, w, expected);
  c.path = weightsPath;
  return c;
}

ModelInfo recognizePipelineFolder(const fs::path& folder) {
  ModelInfo info;
  info.path = folder.string();
  info.kind = ModelKind::DiffusersPipeline;
  info.naming = "diffusers";
  info.format = "folder";
  const nlohmann::json index = models::readJsonFile((folder / "model_index.json").string());
  info.metadata["_class_name"] = className(index);
  for (const auto& [name, value] : index.items()) {
    if (name.empty() || name[0] == '_' || !value.is_array()) continue;
    if (name == "tokenizer" || name == "scheduler" || name == "feature_extractor" || name == "safety_checker") {
      if (name == "tokenizer" &&
          !(fs::exists(folder / name / "vocab.json") && fs::exists(folder / name / "merges.txt")))
        throw CheckpointError((folder / name).string(), "tokenizer folder lacks vocab.json or merges.txt");
      continue;
    }
    if (value.size() == 2 && value[0].is_null()) continue;  // component left out (e.g. no safety checker)
    if (!fs::is_directory(folder / name))
      throw CheckpointError((folder / name).string(),
                            "model_index.json lists this component but the folder is missing");
    info.components.push_back(diffusersComponent(info, name, folder / name));
  }
  for (const auto& c : info.components)
    if (c.name == "unet") info.variant = sdFamily(readStateDict(c.path));
  if (info.variant.empty()) info.variant = "sd15";
  return info;
}

ModelInfo recognizeModelFolder(const fs::path& folder) {
  const fs::path configPath = folder / "config.json";
  const nlohmann::json config = models::readJsonFile(configPath.string());
  const std::string cls = className(config);
  ModelInfo info;
  if (cls == "MotionAdapter" || cls == "ControlNetModel") {
    info = recognizeWeights(readStateDict(diffusersWeightsFile(folder.string())));
    if (cls == "MotionAdapter") {
      bool mid = false;
      int seq = 0;
      models::ConfigReader(config, configPath.string()).read("use_motion_mid_block", mid);
      models::ConfigReader(config, configPath.string()).read("motion_max_seq_length", seq);
      info.variant = mid ? "v2" : seq == 24 ? "v1" : seq == 32 ? "v3" : info.variant;
    }
  } else {
    ModelKind kind;
    if (cls == "UNet2DConditionModel")
      kind = ModelKind::UNet;
    else if (cls == "AutoencoderKL")
      kind = ModelKind::VAE;
    else if (cls == "CLIPTextModel")
      kind = ModelKind::TextEncoder;
    else
      throw CheckpointError(configPath.string(), "model class '" + cls + "' is not one Still-Moving reads");
    info.kind = kind;
    info.naming = "diffusers";
    info.components.push_back(diffusersComponent(info, "model", folder));
    info.variant = kind == ModelKind::UNet ? sdFamily(readStateDict(info.components.back().path)) : "sd15";
  }
  info.path = folder.string();
  info.format = "folder";
  return info;
}

}  // namespace

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

ModelInfo recognizeWeights(const StateDictIndex& w) {
  ModelInfo info;
  info.path = w.path;
  info.format = w.format;
  info.metadata = w.metadata;
  addTotals(info, w);
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
  } else if (anyKey(w, ".motion_modules.")) {
    recognizeMotionModule(info, w);
  } else if (w.contains("conv_in.weight") && w.hasPrefix("down_blocks.")) {
    info.kind = ModelKind::UNet;
    info.naming = "diffusers";
    info.variant = sdFamily(w);
    info.components.push_back(component("unet", w, expectedFromWeights<models::UNetConfig>(w, info.notes, "unet")));
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

ModelInfo recognizeModel(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) throw CheckpointError(path, "no such file or folder");
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "model_index.json")) return recognizePipelineFolder(p);
    if (fs::exists(p / "config.json")) return recognizeModelFolder(p);
    throw CheckpointError(path,
                          "folder holds neither model_index.json (a diffusers pipeline) nor config.json (a "
                          "diffusers model)");
  }
  ModelInfo info = recognizeWeights(readStateDict(path));
  info.path = path;
  return info;
}

}  // namespace sm::io
