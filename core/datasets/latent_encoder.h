#pragma once
// Pictures to the latents a dataset caches: the VAE's posterior mean times its
// scaling factor, i.e. the UNet's latent scale. The mean, not a sample: a
// cached latent is used for many training steps, and a fixed sample would
// bake one draw of the posterior noise into all of them.
#include <torch/torch.h>

#include <string>

#include "core/models/vae/autoencoder_kl.h"

namespace sm::datasets {

class LatentEncoder {
 public:
  /// Shares `vae` (e.g. a loaded pipeline's), which runs on `device` in `dtype`.
  LatentEncoder(models::AutoencoderKL vae, torch::Device device, torch::ScalarType dtype);

  /// Loads only the VAE of an SD 1.5 model (diffusers folder or single file),
  /// for datasets that need no UNet. Throws CheckpointError naming the file.
  static LatentEncoder load(const std::string& baseModel, torch::Device device, torch::ScalarType dtype);

  /// frames [F, 3, H, W] float in [0, 1] (H, W multiples of 8) -> latents
  /// [4, F, H/8, W/8] float32 on the CPU, UNet scale. Encodes `chunk` frames at a time.
  torch::Tensor encode(const torch::Tensor& frames, int64_t chunk = 8);

  double scalingFactor() const { return vae_->config().scaling_factor; }
  int pixelsPerLatent() const { return vae_->config().pixelsPerLatent(); }
  torch::Device device() const { return device_; }

 private:
  models::AutoencoderKL vae_;
  torch::Device device_;
  torch::ScalarType dtype_;
};

}  // namespace sm::datasets
