#include "core/models/vae/autoencoder_kl.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/io/key_maps/ldm_checkpoint.h"
#include "core/models/load_weights.h"
#include "core/util/error.h"

namespace sm::models {

AutoencoderKLImpl::AutoencoderKLImpl(const VAEConfig& config) : config_(config) {
  config.validate();
  const int64_t latent = config.latent_channels;
  encoder = register_module("encoder", VAEEncoder(config));
  decoder = register_module("decoder", VAEDecoder(config));
  quant_conv = register_module("quant_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * latent, 2 * latent, 1)));
  post_quant_conv = register_module("post_quant_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(latent, latent, 1)));
}

torch::Tensor AutoencoderKLImpl::encodeMoments(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == config_.in_channels, "VAE input must be [b, ", config_.in_channels,
              ", H, W], got ", x.sizes());
  return quant_conv(encoder(x));  // [b, 2 * latent, H/8, W/8]
}

torch::Tensor AutoencoderKLImpl::encodeMean(const torch::Tensor& x) {
  return encodeMoments(x).narrow(1, 0, config_.latent_channels);  // [b, latent, H/8, W/8]
}

torch::Tensor AutoencoderKLImpl::encodeSample(const torch::Tensor& x, std::optional<at::Generator> generator) {
  return sampleLatent(encodeMoments(x), std::move(generator));
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z) {
  TORCH_CHECK(z.dim() == 4 && z.size(1) == config_.latent_channels, "VAE latent must be [b, ", config_.latent_channels,
              ", h, w], got ", z.sizes());
  return decoder(post_quant_conv(z));  // [b, out, 8h, 8w]
}

torch::Tensor AutoencoderKLImpl::decodeSliced(const torch::Tensor& z, int64_t sliceSize) {
  TORCH_CHECK(sliceSize > 0, "decodeSliced: slice size must be positive, got ", sliceSize);
  if (z.size(0) <= sliceSize) return decode(z);
  std::vector<torch::Tensor> parts;
  for (const auto& slice : z.split(sliceSize, 0)) parts.push_back(decode(slice));
  return torch::cat(parts, 0);
}

torch::Tensor sampleLatent(const torch::Tensor& moments, std::optional<at::Generator> generator) {
  auto halves = moments.chunk(2, 1);
  const auto& mean = halves[0];                                    // [b, c, h, w]
  const auto stdDev = (0.5 * halves[1].clamp(-30.0, 20.0)).exp();  // [b, c, h, w]
  auto options = mean.options();
  // A CPU generator draws on the CPU, then the noise moves (diffusers randn_tensor).
  if (generator && generator->defined() && generator->device().type() != mean.device().type())
    options = options.device(generator->device());
  auto eps = torch::randn(mean.sizes(), generator, options).to(mean.device());
  return mean + stdDev * eps;
}

AutoencoderKL loadAutoencoderKL(const io::StateDictIndex& weights, const VAEConfig& config, torch::Device device,
                                torch::Dtype dtype) {
  AutoencoderKL model(config);
  model->eval();
  LoadOptions options;
  options.target = torch::TensorOptions().device(device).dtype(dtype);  // converted tensor by tensor
  loadWeights(*model, weights, options);
  return model;
}

AutoencoderKL loadAutoencoderKL(const io::OpenedComponent& part, torch::Device device, torch::Dtype dtype,
                                const std::optional<VAEConfig>& configIfNone) {
  const VAEConfig config = part.config    ? VAEConfig::fromJson(*part.config, part.configPath)
                           : configIfNone ? *configIfNone
                                          : VAEConfig::inferFromWeights(*part.weights);
  return loadAutoencoderKL(*part.weights, config, device, dtype);
}

AutoencoderKL loadAutoencoderKLFromFolder(const std::string& folder, torch::Device device, torch::Dtype dtype) {
  namespace fs = std::filesystem;
  const fs::path dir(folder);
  const std::string configPath = (dir / "config.json").string();
  if (!fs::exists(configPath)) throw CheckpointError(configPath, "missing: a vae folder has a config.json");
  const io::OpenedModel model = io::openModel(folder);
  const io::OpenedComponent* part = model.find(io::ModelKind::VAE);
  if (!part)
    throw CheckpointError(folder,
                          "is a " + std::string(io::modelKindName(model.info.kind)) + ", not a VAE (AutoencoderKL)");
  return loadAutoencoderKL(*part, device, dtype);
}

AutoencoderKL loadAutoencoderKLFromLdm(const io::StateDictIndex& checkpoint, torch::Device device, torch::Dtype dtype,
                                       const std::optional<VAEConfig>& config) {
  const io::LdmComponents parts = io::splitLdmCheckpoint(checkpoint);
  const VAEConfig resolved = config ? *config : VAEConfig::inferFromWeights(parts.vae);
  return loadAutoencoderKL(parts.vae, resolved, device, dtype);
}

}  // namespace sm::models
