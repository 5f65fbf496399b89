#pragma once
// ControlNetModel config (diffusers config.json, ARCHITECTURE_FACTS §6): a copy
// of the UNet's encoder (conv_in, time embedding, down blocks, mid block) plus
// the conditioning embedding that turns the control image into conv_in's
// channels, and one zero conv per skip tensor and for the mid block.
// A single-file ControlNet (control_model.* keys) carries no config: its
// encoder is the base UNet's, and only the conditioning embedding's sizes are
// read from the shapes of input_hint_block.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/io/state_dict_index.h"
#include "core/models/expected_tensor.h"
#include "core/models/unet/unet_config.h"

namespace sm::models {

struct ControlNetConfig {
  /// The encoder: every field a UNet shares with its ControlNet (the up blocks are unused).
  UNetConfig unet;
  /// Channels of the control image (3: RGB).
  int conditioning_channels = 3;
  /// controlnet_cond_embedding widths; each step after the first halves the size,
  /// so the image must be (2^(n-1)) times the latent size (8 for SD 1.5).
  std::vector<int> conditioning_embedding_out_channels{16, 32, 96, 256};
  /// controlnet_conditioning_channel_order "bgr": the control image's channels are reversed first.
  bool bgr = false;
  /// Every residual is its spatial mean (shuffle ControlNets).
  bool global_pool_conditions = false;

  /// A diffusers config.json ("_class_name": "ControlNetModel").
  static ControlNetConfig fromJson(const nlohmann::json& json, const std::string& pathForErrors);
  /// For a file without config: the base UNet's encoder, the conditioning
  /// embedding's channels from the shapes of `weights` (diffusers names).
  /// Throws CheckpointError when the file has no conditioning embedding.
  static ControlNetConfig fromBase(const UNetConfig& base, const io::StateDictIndex& weights);
  /// What a file without config shows by itself (inspect): widths from the
  /// shapes, head counts and norm groups as inferred for a UNet.
  static ControlNetConfig inferFromWeights(const io::StateDictIndex& weights);

  /// A diffusers config.json ("_class_name": "ControlNetModel"); fromJson reads it back equal.
  nlohmann::json toJson() const;

  void validate() const;
  /// The control image is this many times the latent size in each direction.
  int conditioningDownscale() const;
  /// Channels of each down residual, in skip order (12 for SD 1.5), then of the mid residual.
  std::vector<int64_t> downResidualChannels() const;
  /// Every tensor of the model in diffusers naming.
  std::vector<ExpectedTensor> expectedTensors() const;
};

}  // namespace sm::models
