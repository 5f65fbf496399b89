#include "core/pipelines/sd_checkpoint.h"

#include <filesystem>

#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/io/model_recognition.h"
#include "core/io/state_dict_reader.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::pipelines {
namespace {

io::StateDictIndex readComponent(const fs::path& folder) {
  if (!fs::is_directory(folder)) return {};
  return io::readStateDict(io::diffusersWeightsFile(folder.string()));
}

}  // namespace

SDCheckpointParts readSDCheckpointParts(const std::string& path) {
  SDCheckpointParts parts;
  parts.path = path;
  const fs::path p(path);
  if (!fs::exists(p)) throw CheckpointError(path, "no such file or folder");
  if (fs::is_directory(p)) {
    if (fs::exists(p / "model_index.json")) {
      parts.isDiffusersFolder = true;
      parts.unet = readComponent(p / "unet");
      parts.textEncoder = readComponent(p / "text_encoder");
      parts.vae = readComponent(p / "vae");
    } else {
      parts.unet = readComponent(p);  // a bare diffusers unet/ folder
    }
  } else {
    io::StateDictIndex file = io::readStateDict(path);
    if (file.hasPrefix(io::kLdmUNetPrefix)) {
      io::LdmComponents split = io::splitLdmCheckpoint(file);
      parts.unet = std::move(split.unet);
      parts.textEncoder = std::move(split.textEncoder);
      parts.vae = std::move(split.vae);
    } else {
      parts.unet = std::move(file);
    }
  }
  if (parts.unet.size() == 0) throw CheckpointError(path, "has no SD 1.5 UNet weights");
  const io::ModelInfo info = io::recognizeWeights(parts.unet);
  if (info.kind != io::ModelKind::UNet)
    throw CheckpointError(path, "is a " + std::string(io::modelKindName(info.kind)) +
                                    ", not an SD 1.5 checkpoint (expected a diffusers folder, a UNet or an LDM file)");
  return parts;
}

}  // namespace sm::pipelines
