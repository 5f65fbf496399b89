#pragma once
// Builds a UNet3D from files: an SD 1.5 base (diffusers pipeline folder,
// diffusers unet folder, diffusers-named UNet file, or LDM single-file
// checkpoint) plus an optional AnimateDiff motion module (original mm_*.ckpt /
// .safetensors naming, a diffusers MotionAdapter file or folder). The model is
// built on the requested device and dtype, then each tensor is copied straight
// from the memory-mapped file into its parameter: the weights never exist twice.
#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/io/model_opener.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/unet/unet_config.h"

namespace sm::models {

struct UNet3DLoadOptions {
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  /// Replaces unet/config.json or the config inferred from the weights (an LDM
  /// file carries no config; norm groups and head counts are invisible in weights).
  std::optional<UNetConfig> unetConfig;
  /// Replaces the motion module's config.json or inferred config.
  std::optional<MotionModuleConfig> motionConfig;
  UNet3DOptions runtime;
};

/// What loading found, for logs and the model panel.
struct UNet3DLoadReport {
  std::string unetWeightsPath;
  std::string motionWeightsPath;
  std::string unetNaming;    ///< "diffusers" or "ldm"
  std::string motionNaming;  ///< "diffusers", "original" or "" (no motion module)
  /// In a file, not in the model (logged; not an error).
  std::vector<std::string> unexpected;
  /// Deliberately unused: an original file's second position table per block,
  /// EMA copies, other components of a checkpoint.
  size_t ignored = 0;
  size_t loaded = 0;
  /// Motion-module position tables computed because the file has none.
  size_t computedPositionTables = 0;
};

/// From models already opened (io::openSDModel, io::openModel): reads no file.
/// `motionModule` may be null (a plain SD UNet).
/// The motion module's position tables (`pos_embed.pe`) come from the file when
/// it has them (diffusers loads these persistent buffers too); only a file
/// without them gets the computed sinusoidal table. A table must be [1,
/// max_seq_length, channels]: diffusers and AnimateDiff refuse another size on
/// load, and at run time both add its first `frames` rows.
/// Throws CheckpointError (no UNet in `base`, no motion module in
/// `motionModule`, missing weights, a position table of another shape, naming
/// the file and its key), ShapeError (a tensor's shape differs from the
/// config's), ConfigError (motion module and UNet do not fit).
UNet3D loadUNet3D(const io::OpenedModel& base, const io::OpenedModel* motionModule,
                  const UNet3DLoadOptions& options = {}, UNet3DLoadReport* report = nullptr);

/// Opens both paths (an empty `motionModulePath`: no motion module) and loads
/// as above; also throws CheckpointError naming a path that cannot be opened.
UNet3D loadUNet3D(const std::string& basePath, const std::string& motionModulePath,
                  const UNet3DLoadOptions& options = {}, UNet3DLoadReport* report = nullptr);

}  // namespace sm::models
