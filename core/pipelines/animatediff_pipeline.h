#pragma once
// Text-to-video generation: SD 1.5 + AnimateDiff motion modules, as diffusers'
// AnimateDiffPipeline does it (ARCHITECTURE_FACTS §3.9): the prompt encoded
// once, Gaussian latents from the seed, a sampler loop with classifier-free
// guidance (both halves in one batch), optional sliding context windows for
// long videos, then the VAE decode in chunks. Adapters hook in through
// adapters::UNetAdapter; the Motion Adapter's scale comes from the request.
// ref: diffusers v0.35.2 src/diffusers/pipelines/animatediff/pipeline_animatediff.py (AnimateDiffPipeline.__call__)
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/adapters/unet_adapter.h"
#include "core/jobs/job.h"
#include "core/models/clip/clip_text_model.h"
#include "core/models/controlnet/controlnet_model.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/pipelines/generation_request.h"
#include "core/pipelines/model_set.h"
#include "core/text/clip_tokenizer.h"

namespace sm::pipelines {

struct PipelineLoadOptions {
  torch::Device device = torch::kCPU;
  /// The UNet's and ControlNets' dtype; the text encoder and VAE load in
  /// engine::dtypeAroundUNet(dtype, device).
  torch::ScalarType dtype = torch::kFloat32;
  models::UNet3DOptions unet;
  /// Replaces the UNet config read from unet/config.json or inferred from an
  /// LDM file's weights (which cannot show the GroupNorm group count).
  std::optional<models::UNetConfig> unetConfig;
  /// The same for single files' text encoder (inference assumes 64-wide heads, as in SD 1.5) and VAE.
  std::optional<models::CLIPTextConfig> textEncoderConfig;
  std::optional<models::VAEConfig> vaeConfig;
};

struct GenerationResult {
  /// Final latents [videos, 4, F, h, w] as the sampler left them (UNet scale).
  torch::Tensor latents;
  /// Decoded videos [videos, F, 3, H, W], float32 on the CPU, in [0, 1].
  torch::Tensor video;
  uint64_t seed = 0;
  double secondsDenoising = 0.0;
  double secondsDecoding = 0.0;
};

/// A ControlNet as one sampling step uses it: its condition already embedded
/// (ControlNetModel::embedCondition, [F, c0, h, w] for all F frames) and its
/// effective scale at this step (0 steps are left out altogether).
struct ActiveControl {
  models::ControlNetModel net{nullptr};
  torch::Tensor embedded;
  double scale = 1.0;
};

class AnimateDiffPipeline {
 public:
  /// From components already built (tests, the Studio's model cache). `dtype` is the
  /// UNet's; the text encoder and the VAE are moved to engine::dtypeAroundUNet(dtype, device).
  AnimateDiffPipeline(text::CLIPTokenizer tokenizer, models::CLIPTextModel textEncoder, models::UNet3D unet,
                      models::AutoencoderKL vae, torch::Device device, torch::ScalarType dtype);

  /// Loads every component from files, reporting progress to `job`. Throws
  /// CheckpointError / ShapeError / ConfigError naming the file at fault.
  static std::unique_ptr<AnimateDiffPipeline> load(const ModelSet& sources, const PipelineLoadOptions& options,
                                                   jobs::JobContext& job = jobs::silentJob());

  /// The whole generation: denoise() then decode(). Throws ConfigError for an
  /// invalid request, OutOfMemoryError saying what to lower, sm::Cancelled
  /// within one UNet call of a cancel request.
  GenerationResult generate(const GenerationRequest& request, jobs::JobContext& job = jobs::silentJob());

  /// The sampler loop alone: final latents [videos, 4, F, h, w].
  torch::Tensor denoise(const GenerationRequest& request, jobs::JobContext& job = jobs::silentJob());
  /// Latents [videos, 4, F, h, w] -> video [videos, F, 3, H, W] float32 in [0, 1] on the CPU.
  torch::Tensor decode(const torch::Tensor& latents, int chunkFrames, jobs::JobContext& job = jobs::silentJob());

  /// The text embedding of one prompt: [1, 77, d] in the UNet's dtype.
  torch::Tensor encodePrompt(const std::string& prompt, int clipSkip);
  /// The UNet's conditioning for a request: [negative x videos, positive x videos]
  /// with guidance, [positive x videos] without (diffusers' order).
  torch::Tensor promptEmbeddings(const GenerationRequest& request);
  /// randn([videos, 4, F, h, w]) from `generator` on the CPU in latentDtype(),
  /// moved to the device, times the sampler's initial sigma (diffusers' prepare_latents).
  torch::Tensor initialLatents(const GenerationRequest& request, at::Generator& generator, double initNoiseSigma);
  /// The guided noise prediction for one step: UNet on [latents, latents]
  /// (with guidance), through context windows when the video is longer than
  /// the context, then uncond + g * (cond - uncond).
  /// `control`: the ControlNets acting at this step (controlAtStep); each
  /// context window gets its frames of their conditions.
  torch::Tensor predictNoise(const torch::Tensor& scaledLatents, double timestep, const torch::Tensor& embeddings,
                             const GenerationRequest& request, jobs::JobContext& job,
                             const std::vector<ActiveControl>& control = {});

  /// The ControlNets' conditions embedded once for the whole request (the
  /// condition frames divided by 255, through each one's conditioning embedding).
  /// Throws ConfigError when the request's control inputs do not match the ControlNets.
  std::vector<ActiveControl> embedControl(const GenerationRequest& request);
  /// Those acting at sampling step `step` of `steps`, with scale x (step in their window).
  std::vector<ActiveControl> controlAtStep(const std::vector<ActiveControl>& embedded, const GenerationRequest& request,
                                           int step, int steps) const;
  /// The ControlNets (ModelSet::controlNets, loaded on this pipeline's device and dtype).
  void setControlNets(std::vector<models::ControlNetModel> controlNets);
  const std::vector<models::ControlNetModel>& controlNets() const { return controlNets_; }

  /// Attaches an adapter to the UNet (see adapters::UNetAdapter).
  void addAdapter(std::shared_ptr<adapters::UNetAdapter> adapter);
  /// Folds an attached adapter into the UNet's weights (see UNetAdapter::merge)
  /// and forgets it: it can no longer be detached or rescaled.
  void mergeAdapter(const std::shared_ptr<adapters::UNetAdapter>& adapter);
  /// Detaches and forgets every adapter.
  void clearAdapters();
  const std::vector<std::shared_ptr<adapters::UNetAdapter>>& adapters() const { return adapters_; }

  models::UNet3D& unet() { return unet_; }
  models::CLIPTextModel& textEncoder() { return textEncoder_; }
  models::AutoencoderKL& vae() { return vae_; }
  const text::CLIPTokenizer& tokenizer() const { return tokenizer_; }
  torch::Device device() const { return device_; }
  /// The UNet's and ControlNets' dtype.
  torch::ScalarType dtype() const { return dtype_; }
  /// Casts the UNet and the ControlNets to `dtype`. The loaders customize the UNet in
  /// engine::dtypeAroundUNet (fp32 on the CPU) and cast it after: a LoRA merged in fp32
  /// and rounded once gives the weights, and so the fingerprint, the adapters were
  /// trained on (merged in bf16 it rounds twice and Spatial Adapters are refused).
  void setUNetDtype(torch::ScalarType dtype);
  /// The text encoder's, the VAE's and the sampler's latents' (fp32 on the CPU).
  torch::ScalarType latentDtype() const { return latentDtype_; }
  /// Frames the UNet sees at once for `request` (the context length clamped to the motion module's limit).
  int64_t contextLength(const GenerationRequest& request) const;

 private:
  /// frames: the indices of the latents' frames in the whole video (undefined: all of them).
  torch::Tensor runUNet(const torch::Tensor& latents, const torch::Tensor& timestep, const torch::Tensor& embeddings,
                        const std::vector<ActiveControl>& control, const torch::Tensor& frames);

  text::CLIPTokenizer tokenizer_;
  models::CLIPTextModel textEncoder_;
  models::UNet3D unet_;
  models::AutoencoderKL vae_;
  torch::Device device_;
  torch::ScalarType dtype_;
  torch::ScalarType latentDtype_;
  std::vector<std::shared_ptr<adapters::UNetAdapter>> adapters_;
  std::vector<models::ControlNetModel> controlNets_;
};

}  // namespace sm::pipelines
