#pragma once
// The plain diffusion training loss (DDPM's "simple" loss, as diffusers'
// train_text_to_image.py computes it) for the video UNet: noise clean latents
// at a random timestep and regress the UNet's prediction onto the schedule's
// target (epsilon or v). Both of Still-Moving's adapters train with it.
#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/scheduler_config.h"
#include "core/models/unet/unet_3d.h"

namespace sm::training {

struct DiffusionLossOptions {
  /// What the UNet predicts: the noise (SD 1.5, AnimateDiff) or v.
  diffusion::PredictionType prediction = diffusion::PredictionType::Epsilon;
  /// Optional [B]; the loss is then mean_b(w_b * mse_b), where mse_b is sample
  /// b's mean squared error (without weights: the plain MSE).
  torch::Tensor sampleWeights;
  /// Above 1: each sample's loss is also weighted by clamp(1 / SNR(t), 1, cap),
  /// i.e. the epsilon loss becomes the clean-latent (x0) loss at high noise, up
  /// to this factor. There the plain loss scales a wrong x0 by SNR(t) (below
  /// 0.01 near t = 999) and barely teaches what is decided there: a picture's
  /// layout, and whether a video's frames show the same scene. 0: off (diffusers').
  double highNoiseWeightCap = 0;
};

/// Returns the mean squared error, a float32 scalar on the latents' device.
/// latents: clean latents x0 [B, 4, F, h, w] (or [B, 4, h, w]: image mode),
/// already multiplied by the VAE's scaling factor. textEmbeddings: [B, 77, d].
/// generator: a CPU generator; it draws Gaussian noise and then, per sample, a
/// timestep t uniformly in [0, numTrainTimesteps), both on the CPU, so a seed
/// gives the same run on every device. The prediction target is unchanged by the
/// weights (an epsilon model stays an epsilon model).
torch::Tensor diffusionLoss(models::UNet3DImpl& unet, const diffusion::NoiseSchedule& schedule,
                            const torch::Tensor& latents, const torch::Tensor& textEmbeddings, at::Generator& generator,
                            const DiffusionLossOptions& options = {});
inline torch::Tensor diffusionLoss(models::UNet3D& unet, const diffusion::NoiseSchedule& schedule,
                                   const torch::Tensor& latents, const torch::Tensor& textEmbeddings,
                                   at::Generator& generator, const DiffusionLossOptions& options = {}) {
  return diffusionLoss(*unet, schedule, latents, textEmbeddings, generator, options);
}

}  // namespace sm::training
