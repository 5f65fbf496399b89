#pragma once
// AutoencoderKL (the SD 1.5 VAE) with diffusers' parameter names: encoder.*,
// quant_conv, post_quant_conv, decoder.*.
// Latents here are *unscaled*: the UNet works on encodeSample(x) * scaling_factor
// (0.18215 for SD 1.5), and a UNet latent goes back through decode(latent / scaling_factor).
// Callers apply config().scaling_factor; the VAE never does.
// ref: diffusers@0.35.2 src/diffusers/models/autoencoders/autoencoder_kl.py (AutoencoderKL L38, _encode L246,
//      _decode L287)
#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <optional>
#include <string>

#include "core/io/model_opener.h"
#include "core/io/state_dict_index.h"
#include "core/models/vae/vae_blocks.h"
#include "core/models/vae/vae_config.h"

namespace sm::models {

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  /// Throws ConfigError for an invalid config.
  explicit AutoencoderKLImpl(const VAEConfig& config);

  /// x: [b, in, H, W] in [-1, 1], H and W multiples of 2^(levels-1) (8 for SD).
  /// Returns quant_conv(encoder(x)): [b, 2 * latent, H/8, W/8], mean ‖ logvar
  /// along channels, logvar as computed (not yet clamped).
  torch::Tensor encodeMoments(const torch::Tensor& x);
  /// The distribution's mode: the first half of the moments, [b, latent, H/8, W/8].
  torch::Tensor encodeMean(const torch::Tensor& x);
  /// mean + exp(logvar / 2) * eps, logvar clamped to [-30, 20], eps ~ N(0, 1)
  /// drawn from `generator` (the default generator when absent) in the model's
  /// dtype; a CPU generator draws on the CPU and the noise is moved to the
  /// model's device, as diffusers' randn_tensor does.
  torch::Tensor encodeSample(const torch::Tensor& x, std::optional<at::Generator> generator = std::nullopt);

  /// z: [b, latent, h, w], unscaled (divide a UNet latent by scaling_factor first).
  /// Returns decoder(post_quant_conv(z)): [b, out, 8h, 8w], roughly in [-1, 1], not clamped.
  torch::Tensor decode(const torch::Tensor& z);
  /// decode() on slices of at most `sliceSize` along the batch (frames) axis,
  /// concatenated: the same result with the activation memory of one slice.
  torch::Tensor decodeSliced(const torch::Tensor& z, int64_t sliceSize);

  const VAEConfig& config() const { return config_; }

  VAEEncoder encoder{nullptr};
  VAEDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};

 private:
  VAEConfig config_;
};
TORCH_MODULE(AutoencoderKL);

/// Samples DiagonalGaussianDistribution(moments): moments [b, 2c, h, w] -> [b, c, h, w].
/// ref: diffusers@0.35.2 src/diffusers/models/autoencoders/vae.py (DiagonalGaussianDistribution L691)
torch::Tensor sampleLatent(const torch::Tensor& moments, std::optional<at::Generator> generator = std::nullopt);

/// Builds the VAE on `device` / `dtype` and copies the diffusers-named weights
/// into it. Throws CheckpointError naming missing keys, ShapeError on a mismatch.
AutoencoderKL loadAutoencoderKL(const io::StateDictIndex& diffusersNamed, const VAEConfig& config, torch::Device device,
                                torch::Dtype dtype);

/// From an opened part (io::OpenedModel's "vae"): its config.json when
/// it has one, else `configIfNone`, else the config inferred from the weights.
AutoencoderKL loadAutoencoderKL(const io::OpenedComponent& part, torch::Device device, torch::Dtype dtype,
                                const std::optional<VAEConfig>& configIfNone = std::nullopt);

/// From a diffusers component folder (`vae/`: config.json + diffusion_pytorch_model.safetensors or .bin).
AutoencoderKL loadAutoencoderKLFromFolder(const std::string& folder, torch::Device device, torch::Dtype dtype);

/// From an LDM single-file checkpoint (`first_stage_model.…` or `vae.…`) split by
/// io::splitLdmCheckpoint. Without `config` it is inferred from the weights
/// (norm groups guessed by inferNormGroups: 32 for SD 1.5).
AutoencoderKL loadAutoencoderKLFromLdm(const io::StateDictIndex& checkpoint, torch::Device device, torch::Dtype dtype,
                                       const std::optional<VAEConfig>& config = std::nullopt);

}  // namespace sm::models
