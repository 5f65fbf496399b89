#include "core/training/diffusion_loss.h"

#include <torch/torch.h>

namespace sm::training {

// ref: diffusers v0.35.2 examples/text_to_image/train_text_to_image.py:1000-1060 (noise, timesteps, target, mse)
torch::Tensor diffusionLoss(models::UNet3DImpl& unet, const diffusion::NoiseSchedule& schedule,
                            const torch::Tensor& latents, const torch::Tensor& textEmbeddings, at::Generator& generator,
                            const DiffusionLossOptions& options) {
  const torch::Tensor& sampleWeights = options.sampleWeights;
  TORCH_CHECK(latents.dim() == 5 || latents.dim() == 4,
              "diffusionLoss: latents must be [B, C, F, h, w] or [B, C, h, w], got ", latents.sizes());
  TORCH_CHECK(textEmbeddings.dim() == 3 && textEmbeddings.size(0) == latents.size(0),
              "diffusionLoss: text embeddings must be [B, 77, d] with B = ", latents.size(0), ", got ",
              textEmbeddings.sizes());
  TORCH_CHECK(generator.device().is_cpu(), "diffusionLoss: the generator must be a CPU generator");
  const int64_t batch = latents.size(0);
  TORCH_CHECK(!sampleWeights.defined() || sampleWeights.numel() == batch, "diffusionLoss: ", sampleWeights.numel(),
              " sample weights for a batch of ", batch);

  // Drawn as float32 on the CPU whatever the latents' dtype and device, in
  // diffusers' order (noise, then timesteps), so one seed is one run everywhere.
  const torch::Tensor noise = diffusion::randnTensor(latents.sizes(), generator, torch::kFloat32, torch::kCPU)
                                  .to(latents.device(), latents.scalar_type());
  const torch::Tensor drawnTimesteps =
      torch::randint(0, schedule.config().numTrainTimesteps, {batch}, generator, torch::kLong);  // on the CPU
  const torch::Tensor timesteps = drawnTimesteps.to(latents.device());

  const torch::Tensor noisy = schedule.addNoise(latents, noise, timesteps);
  const torch::Tensor prediction = unet.forward(noisy, timesteps, textEmbeddings);
  const torch::Tensor target = schedule.trainingTarget(options.prediction, latents, noise, timesteps);

  // Float32 even under bf16 autocast: the squared errors of bf16 values lose the loss's small changes.
  const torch::Tensor squared = (prediction.to(torch::kFloat32) - target.to(torch::kFloat32)).pow(2);
  const bool highNoise = options.highNoiseWeightCap > 1;
  if (!sampleWeights.defined() && !highNoise) return squared.mean();
  torch::Tensor perSample = squared.reshape({batch, -1}).mean(1);  // [B]
  if (sampleWeights.defined())
    perSample = perSample * sampleWeights.to(perSample.device(), torch::kFloat32).reshape({batch});
  if (highNoise) {  // from the timesteps as drawn, on the CPU: no copy back from the device
    const torch::Tensor alphaBar = schedule.alphasCumprod().index({drawnTimesteps}).to(torch::kFloat64);
    const torch::Tensor inverseSnr = (1 - alphaBar) / alphaBar;
    perSample = perSample * inverseSnr.clamp(1.0, options.highNoiseWeightCap).to(perSample.device(), torch::kFloat32);
  }
  return perSample.mean();
}

}  // namespace sm::training
