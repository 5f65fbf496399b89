#include "core/io/model_opener.h"

#include <filesystem>

#include "core/io/key_maps/animatediff.h"
#include "core/io/key_maps/controlnet.h"
#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/model_folder.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::io {
namespace {

std::shared_ptr<const StateDictIndex> share(StateDictIndex index) {
  return std::make_shared<const StateDictIndex>(std::move(index));
}

OpenedComponent part(std::string name, ModelKind kind, std::shared_ptr<const StateDictIndex> weights,
                     std::string naming = "diffusers") {
  OpenedComponent c;
  c.name = std::move(name);
  c.kind = kind;
  c.weights = std::move(weights);
  c.naming = std::move(naming);
  return c;
}

// An LDM checkpoint's UNet, VAE and text encoder, renamed; the renamed indexes
// point into the file's mapping, which each keeps alive.
void addLdmParts(std::vector<OpenedComponent>& out, const std::shared_ptr<const StateDictIndex>& file) {
  LdmComponents parts = splitLdmCheckpoint(*file);
  OpenedComponent unet = part("unet", ModelKind::UNet, share(std::move(parts.unet)), "ldm");
  unet.dropped = file->size() - unet.weights->size();
  for (const auto& key : parts.unmapped)  // only the UNet's are the UNet's problem; the others are noted
    if (key.rfind(kLdmUNetPrefix, 0) == 0) unet.unmapped.push_back(key);
  out.push_back(std::move(unet));
  if (parts.vae.size()) out.push_back(part("vae", ModelKind::VAE, share(std::move(parts.vae)), "ldm"));
  if (parts.textEncoder.size())
    out.push_back(part("text_encoder", ModelKind::TextEncoder, share(std::move(parts.textEncoder)), "ldm"));
}

}  // namespace

std::vector<OpenedComponent> componentsOfWeights(const ModelInfo& info,
                                                 const std::shared_ptr<const StateDictIndex>& weights) {
  std::vector<OpenedComponent> out;
  if (weights->hasPrefix(kLdmUNetPrefix) &&
      (info.kind == ModelKind::SD15Checkpoint || info.kind == ModelKind::ControlNet))
    addLdmParts(out, weights);
  switch (info.kind) {
    case ModelKind::UNet: out.push_back(part("unet", ModelKind::UNet, weights)); break;
    case ModelKind::TextEncoder: out.push_back(part("text_encoder", ModelKind::TextEncoder, weights)); break;
    case ModelKind::VAE:
      if (info.naming == "diffusers") out.push_back(part("vae", ModelKind::VAE, weights));
      break;
    case ModelKind::MotionModule:
      if (info.naming == "original") {
        RenamedMotionModule renamed = renameAnimateDiffOriginal(*weights);
        OpenedComponent c =
            part("motion_modules", ModelKind::MotionModule, share(std::move(renamed.weights)), "original");
        c.dropped = renamed.ignored.size();
        out.push_back(std::move(c));
      } else {
        out.push_back(part("motion_modules", ModelKind::MotionModule, weights));
      }
      break;
    case ModelKind::ControlNet:
      if (info.naming == "original") {
        RenamedComponent renamed = renameControlNetOriginal(*weights, controlNetOriginalPrefix(*weights));
        OpenedComponent c = part("controlnet", ModelKind::ControlNet, share(std::move(renamed.weights)), "original");
        c.unmapped = std::move(renamed.unmapped);
        out.push_back(std::move(c));
      } else {
        out.push_back(part("controlnet", ModelKind::ControlNet, weights));
      }
      break;
    default: break;  // LoRAs and our adapters are read whole (opened.file) by their own readers
  }
  return out;
}

const OpenedComponent* OpenedModel::find(std::string_view name) const {
  for (const auto& c : components)
    if (c.name == name) return &c;
  return nullptr;
}

const OpenedComponent* OpenedModel::find(ModelKind kind) const {
  for (const auto& c : components)
    if (c.kind == kind) return &c;
  return nullptr;
}

OpenedModel openModel(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) throw CheckpointError(path, "no such file or folder");
  if (fs::is_directory(p, ec)) return openDiffusersFolder(p);
  if (!fs::is_regular_file(p, ec))
    throw CheckpointError(path, "is not a regular file or folder (a pipe, socket or device): name a model");
  OpenedModel model = openWeights(share(readStateDict(path)));
  model.path = path;
  model.info.path = path;
  return model;
}

OpenedModel openWeights(std::shared_ptr<const StateDictIndex> file) {
  OpenedModel model;
  model.path = file->path;
  model.packaging = Packaging::SingleFile;
  model.file = std::move(file);
  model.info = recognizeWeights(*model.file);
  model.components = componentsOfWeights(model.info, model.file);
  return model;
}

OpenedModel openSDModel(const std::string& path) {
  OpenedModel model = openModel(path);
  if (model.find(ModelKind::UNet)) return model;
  if (model.info.kind == ModelKind::DiffusersPipeline) throw CheckpointError(path, "has no SD 1.5 UNet weights");
  throw CheckpointError(path, "is a " + std::string(modelKindName(model.info.kind)) +
                                  ", not an SD 1.5 checkpoint (expected a diffusers folder, a UNet or an LDM file)");
}

}  // namespace sm::io
