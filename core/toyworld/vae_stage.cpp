#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/models/vae/autoencoder_kl.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/training_loop.h"
#include "core/toyworld/world_batches.h"

namespace sm::toyworld {
namespace {

constexpr uint64_t kSeed = 101;
constexpr int64_t kBatch = 8;
constexpr double kKlWeight = 1e-5;
/// A shape pixel counts this many times a background pixel in the reconstruction
/// loss: the shape covers about a tenth of a picture, and unweighted, the
/// backgrounds (blotches, gradients, checkers) drew the first toy VAE's capacity
/// away from the shapes and colours the evaluator judges.
constexpr double kShapeWeight = 6.0;

/// Mean squared error over the shape's pixels only.
torch::Tensor shapeMse(const torch::Tensor& recon, const PictureBatch& batch) {
  const torch::Tensor squared = (recon - batch.pixels).pow(2).mean(1, true);
  return (squared * batch.shapeMasks).sum() / batch.shapeMasks.sum().clamp_min(1.0);
}

double psnr(double mse) { return 10 * std::log10(4.0 / std::max(mse, 1e-12)); }

/// Scales the latent space by `c` without changing what the decoder sees:
/// mean rows of quant_conv times c, log-variance plus 2 ln c, post_quant_conv's inputs divided by c.
void rescaleLatents(models::AutoencoderKLImpl& vae, double c) {
  torch::NoGradGuard noGrad;
  const int64_t latent = vae.config().latent_channels;
  vae.quant_conv->weight.slice(0, 0, latent).mul_(c);
  vae.quant_conv->bias.slice(0, 0, latent).mul_(c);
  vae.quant_conv->bias.slice(0, latent, 2 * latent).add_(2 * std::log(c));
  vae.post_quant_conv->weight.div_(c);
}

}  // namespace

int64_t scaledSteps(int64_t steps, const StageOptions& options) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(steps * options.stepScale)));
}

void trainVaeStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  torch::manual_seed(kSeed);
  models::AutoencoderKL vae(toyVaeConfig());
  TrainingLoopSpec spec;
  spec.stage = "VAE";
  spec.checkpointPath = folder.checkpoint("vae").string();
  spec.steps = scaledSteps(2000, options);
  spec.checkpointEvery = 250;
  spec.learningRate = 1e-3;
  spec.warmupSteps = 100;
  spec.weightDecay = 0.0;
  spec.seed = kSeed;
  spec.params = moduleParameters(*vae);
  spec.loss = [&](int64_t step, at::Generator& generator) {
    const PictureBatch batch = drawPictureBatch(world::kTrainSeed, step * kBatch, kBatch);
    const torch::Tensor moments = vae->encodeMoments(batch.pixels);
    const auto halves = moments.chunk(2, 1);
    const torch::Tensor mean = halves[0];
    const torch::Tensor logvar = halves[1].clamp(-30.0, 20.0);
    const torch::Tensor z = mean + torch::exp(0.5 * logvar) * at::randn(mean.sizes(), generator);
    const torch::Tensor x = vae->decode(z);
    const torch::Tensor weight = 1.0 + kShapeWeight * batch.shapeMasks;
    const torch::Tensor error = (x - batch.pixels).abs() + (x - batch.pixels).pow(2);
    const torch::Tensor rec = (error * weight).mean() / weight.mean();
    const torch::Tensor kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean();
    return rec + kKlWeight * kl;
  };
  const TrainingLoopResult result = runTrainingLoop(spec, job);

  // Unit-variance latents under SD's factor, measured on pictures it never trained on.
  vae->eval();
  torch::NoGradGuard noGrad;
  const PictureBatch held = drawPictureBatch(world::kTestSeed, 0, 256);
  const double stdBefore = vae->encodeMean(held.pixels).std().item<double>();
  rescaleLatents(*vae, 1.0 / (kScalingFactor * stdBefore));
  const torch::Tensor latents = vae->encodeMean(held.pixels);
  const torch::Tensor recon = vae->decode(latents);
  StageRecord record;
  record.stage = "vae";
  record.steps = spec.steps;
  record.seconds = result.seconds;
  record.seed = kSeed;
  record.losses = result.losses;
  record.figures = {{"scaled_latent_std", (latents * kScalingFactor).std().item<double>()},
                    {"heldout_l1", (recon - held.pixels).abs().mean().item<double>()},
                    {"heldout_psnr", psnr((recon - held.pixels).pow(2).mean().item<double>())},
                    {"heldout_shape_psnr", psnr(shapeMse(recon, held).item<double>())},
                    {"final_loss", tailMean(result.losses)}};
  saveModule(folder.weights("vae"), *vae);
  writeStageRecord(folder.record("vae"), record);
  job.info("VAE: held-out PSNR " + std::to_string(record.figures["heldout_psnr"].get<double>()) + " dB, " +
           std::to_string(record.figures["heldout_shape_psnr"].get<double>()) + " dB on the shapes");
}

}  // namespace sm::toyworld
