#include "core/datasets/latent_encoder.h"

#include "core/engine/memory_guard.h"
#include "core/io/model_opener.h"
#include "core/util/error.h"

namespace sm::datasets {

LatentEncoder::LatentEncoder(models::AutoencoderKL vae, torch::Device device, torch::ScalarType dtype)
    : vae_(std::move(vae)), device_(device), dtype_(dtype) {
  vae_->eval();
}

LatentEncoder LatentEncoder::load(const std::string& baseModel, torch::Device device, torch::ScalarType dtype) {
  const io::OpenedModel base = io::openSDModel(baseModel);
  const io::OpenedComponent* part = base.find(io::ModelKind::VAE);
  if (!part) throw CheckpointError(baseModel, "has no VAE weights");
  // The same loader as AnimateDiffPipeline::load, so both paths give the same latents.
  models::AutoencoderKL vae = models::loadAutoencoderKL(*part, device, dtype);
  return LatentEncoder(std::move(vae), device, dtype);
}

torch::Tensor LatentEncoder::encode(const torch::Tensor& frames, int64_t chunk) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(1) == 3, "LatentEncoder::encode: frames must be [F, 3, H, W], got ",
              frames.sizes());
  TORCH_CHECK(chunk >= 1, "LatentEncoder::encode: chunk must be >= 1");
  c10::InferenceMode inference;
  const std::string what = "encoding " + std::to_string(frames.size(0)) + " frames of " +
                           std::to_string(frames.size(3)) + "x" + std::to_string(frames.size(2));
  return engine::guardMemory(what, device_, [&] {
    std::vector<torch::Tensor> pieces;
    for (int64_t begin = 0; begin < frames.size(0); begin += chunk) {
      const torch::Tensor x = frames.slice(0, begin, std::min(frames.size(0), begin + chunk)).to(device_, dtype_);
      const torch::Tensor mean = vae_->encodeMean(x * 2 - 1);  // the VAE takes [-1, 1]
      pieces.push_back(mean.to(torch::kCPU, torch::kFloat32));
    }
    // [F, 4, h, w] -> [4, F, h, w]: channels first, as the UNet's video latents.
    return (torch::cat(pieces) * scalingFactor()).permute({1, 0, 2, 3}).contiguous();
  });
}

}  // namespace sm::datasets
