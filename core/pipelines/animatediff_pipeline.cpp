#include "core/pipelines/animatediff_pipeline.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "core/adapters/scoped_adapter_scales.h"
#include "core/control/control_unit.h"
#include "core/diffusion/scheduler.h"
#include "core/engine/device.h"
#include "core/engine/memory_guard.h"
#include "core/nn/cross_attention_reuse.h"
#include "core/pipelines/pipeline_loading.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

std::string describeWork(const GenerationRequest& r) {
  std::ostringstream s;
  s << r.numVideos << " video(s) of " << r.frames << " frames at " << r.width << "x" << r.height;
  return s.str();
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

AnimateDiffPipeline::AnimateDiffPipeline(text::CLIPTokenizer tokenizer, models::CLIPTextModel textEncoder,
                                         models::UNet3D unet, models::AutoencoderKL vae, torch::Device device,
                                         torch::ScalarType dtype)
    : tokenizer_(std::move(tokenizer)),
      textEncoder_(std::move(textEncoder)),
      unet_(std::move(unet)),
      vae_(std::move(vae)),
      device_(device),
      dtype_(dtype),
      latentDtype_(engine::dtypeAroundUNet(dtype, device)) {
  textEncoder_->to(device_, latentDtype_);
  vae_->to(device_, latentDtype_);
  textEncoder_->eval();
  unet_->eval();
  vae_->eval();
}

void AnimateDiffPipeline::setUNetDtype(torch::ScalarType dtype) {
  if (dtype == dtype_) return;
  unet_->to(dtype);
  for (auto& net : controlNets_) net->to(dtype);
  dtype_ = dtype;
  latentDtype_ = engine::dtypeAroundUNet(dtype, device_);
}

std::unique_ptr<AnimateDiffPipeline> AnimateDiffPipeline::load(const ModelSet& sources,
                                                               const PipelineLoadOptions& options,
                                                               jobs::JobContext& job) {
  sources.validate();
  int done = 0;
  const int adapters = (sources.spatialAdapters.empty() ? 0 : 1) + (sources.motionAdapter.empty() ? 0 : 1);
  job.beginStage("loading", kBaseLoadUnits + customizationUnits(sources) + adapters);
  return engine::guardMemory("loading the models", options.device, [&] {
    BasePipeline base = loadBasePipeline(sources, options, job, &done);
    applyCustomization(*base.pipeline, sources, job, &done);
    if (!sources.spatialAdapters.empty()) {
      attachSpatialAdapters(*base.pipeline, sources.spatialAdapters, sources.mergeSpatialAdapters,
                            sources.acceptForeignAdapters, job);
      job.progress(++done);
    }
    if (!sources.motionAdapter.empty()) {
      attachMotionAdapter(*base.pipeline, sources.motionAdapter, sources.acceptForeignAdapters, base.baseSpatial, job);
      job.progress(++done);
    }
    base.pipeline->setUNetDtype(options.dtype);  // loaded and customized in the precision around it
    return std::move(base.pipeline);
  });
}

int64_t AnimateDiffPipeline::contextLength(const GenerationRequest& request) const {
  const int64_t limit = unet_->maxFrames();  // 0: no motion module, no limit
  int64_t length = request.context.length;
  if (limit > 0 && (length == 0 || length > limit)) length = limit;
  return length;
}

torch::Tensor AnimateDiffPipeline::encodePrompt(const std::string& prompt, int clipSkip) {
  const int maxLength = static_cast<int>(textEncoder_->config().max_position_embeddings);
  const std::vector<int> ids = tokenizer_.encodeForSD(prompt, maxLength);
  const torch::Tensor input =
      torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0).to(device_);
  return textEncoder_->forward(input, clipSkip).to(dtype_);
}

torch::Tensor AnimateDiffPipeline::promptEmbeddings(const GenerationRequest& request) {
  const int layers = static_cast<int>(textEncoder_->config().num_hidden_layers);
  if (request.clipSkip >= layers)
    throw ConfigError("clip skip " + std::to_string(request.clipSkip) + " leaves no layer of the " +
                      std::to_string(layers) + "-layer text encoder; use at most " + std::to_string(layers - 1));
  // Each prompt is encoded once and shared by every video, step and window.
  torch::Tensor positive = encodePrompt(request.prompt, request.clipSkip).repeat({request.numVideos, 1, 1});
  if (!request.usesGuidance()) return positive;
  torch::Tensor negative = encodePrompt(request.negativePrompt, request.clipSkip).repeat({request.numVideos, 1, 1});
  return torch::cat({negative, positive});
}

torch::Tensor AnimateDiffPipeline::initialLatents(const GenerationRequest& request, at::Generator& generator,
                                                  double initNoiseSigma) {
  const int64_t channels = unet_->config().in_channels;
  const int factor = vae_->config().pixelsPerLatent();
  if (request.height % factor != 0 || request.width % factor != 0)
    throw ConfigError("width and height must be multiples of " + std::to_string(factor) + " for this VAE, got " +
                      std::to_string(request.width) + "x" + std::to_string(request.height));
  // Drawn on the CPU whatever the device, so a seed gives the same video everywhere.
  torch::Tensor noise =
      torch::randn({request.numVideos, channels, request.frames, request.height / factor, request.width / factor},
                   generator, torch::TensorOptions().dtype(latentDtype_));
  return noise.to(device_) * initNoiseSigma;
}

void AnimateDiffPipeline::setControlNets(std::vector<models::ControlNetModel> controlNets) {
  controlNets_ = std::move(controlNets);
  for (auto& net : controlNets_) net->eval();
}

std::vector<ActiveControl> AnimateDiffPipeline::embedControl(const GenerationRequest& request) {
  if (request.control.size() != controlNets_.size())
    throw ConfigError(std::to_string(request.control.size()) + " control video(s) for " +
                      std::to_string(controlNets_.size()) +
                      " loaded ControlNet(s): give one driving video per ControlNet");
  const int factor = vae_->config().pixelsPerLatent();
  std::vector<ActiveControl> out;
  for (size_t k = 0; k < controlNets_.size(); ++k) {
    models::ControlNetModel net = controlNets_[k];
    if (net->config().conditioning_channels != 3)
      throw ConfigError("ControlNet " + std::to_string(k + 1) + " takes " +
                        std::to_string(net->config().conditioning_channels) +
                        "-channel conditions; driving videos give RGB (3 channels)");
    if (net->config().conditioningDownscale() != factor)
      throw ConfigError("ControlNet " + std::to_string(k + 1) + " embeds its condition at 1/" +
                        std::to_string(net->config().conditioningDownscale()) + " of the video size, but this VAE's " +
                        "latents are 1/" + std::to_string(factor) + ": it was made for another VAE");
    // A few frames at a time: the first convolutions work at the full video size.
    constexpr int64_t kChunk = 16;
    const torch::Tensor condition = fromVideoClip(request.control[k].condition);  // [F, 3, H, W] in [0, 1]
    std::vector<torch::Tensor> pieces;
    for (int64_t begin = 0; begin < condition.size(0); begin += kChunk)
      pieces.push_back(net->embedCondition(condition.slice(0, begin, begin + kChunk).to(device_, dtype_)));
    out.push_back({net, torch::cat(pieces), request.control[k].scale});
  }
  return out;
}

std::vector<ActiveControl> AnimateDiffPipeline::controlAtStep(const std::vector<ActiveControl>& embedded,
                                                              const GenerationRequest& request, int step,
                                                              int steps) const {
  std::vector<ActiveControl> out;
  for (size_t k = 0; k < embedded.size(); ++k) {
    const ControlInput& input = request.control.at(k);
    // Scale 0 or outside its window: exactly the video without it (its residuals would be zeros).
    if (input.scale == 0.0 || !control::actsAtStep(input.start, input.end, step, steps)) continue;
    out.push_back(embedded[k]);
  }
  return out;
}

torch::Tensor AnimateDiffPipeline::runUNet(const torch::Tensor& latents, const torch::Tensor& timestep,
                                           const torch::Tensor& embeddings, const std::vector<ActiveControl>& control,
                                           const torch::Tensor& frames) {
  if (control.empty()) return unet_->forward(latents, timestep, embeddings);
  // The ControlNets run per frame on the same scaled latents, timestep and text as the
  // UNet, rows b*F + f; every video and both guidance halves get the same condition.
  const int64_t rows = latents.size(0), count = latents.size(2);
  const torch::Tensor folded =
      latents.permute({0, 2, 1, 3, 4}).reshape({rows * count, latents.size(1), latents.size(3), latents.size(4)});
  models::ControlNetResiduals sum;
  for (const ActiveControl& c : control) {
    const torch::Tensor own = frames.defined() ? c.embedded.index_select(0, frames) : c.embedded;
    models::ControlNetModel net = c.net;
    models::ControlNetResiduals r = net->forward(folded, timestep, embeddings, own.repeat({rows, 1, 1, 1}), c.scale);
    if (sum.down.empty()) {
      sum = std::move(r);
      continue;
    }
    for (size_t i = 0; i < sum.down.size(); ++i) sum.down[i] = sum.down[i] + r.down[i];
    sum.mid = sum.mid + r.mid;
  }
  return unet_->forward(latents, timestep, embeddings, &sum);
}

torch::Tensor AnimateDiffPipeline::predictNoise(const torch::Tensor& scaledLatents, double timestep,
                                                const torch::Tensor& embeddings, const GenerationRequest& request,
                                                jobs::JobContext& job, const std::vector<ActiveControl>& control) {
  const bool guided = request.usesGuidance();
  // The UNet runs in its dtype; what it predicts returns to the latents' for the sampler.
  const torch::Tensor input = (guided ? torch::cat({scaledLatents, scaledLatents}) : scaledLatents).to(dtype_);
  // The UNet takes the sampler's timestep as is: integers for DDIM, fractions for Euler.
  const torch::Tensor t = torch::tensor(static_cast<float>(timestep), torch::TensorOptions().device(device_));

  ContextOptions context = request.context;
  context.length = static_cast<int>(contextLength(request));
  const std::vector<ContextWindow> windows = contextWindows(request.frames, context);
  torch::Tensor prediction;
  if (windows.size() == 1) {
    prediction = runUNet(input, t, embeddings, control, {}).to(latentDtype_);
  } else {
    prediction = torch::zeros_like(input, latentDtype_);
    torch::Tensor weightSum = torch::zeros({request.frames}, prediction.options());
    for (const ContextWindow& window : windows) {
      job.throwIfCancelled();
      const torch::Tensor frames = torch::tensor(window.frames, torch::kInt64).to(device_);
      const torch::Tensor weights = torch::tensor(window.weights).to(prediction.options());
      const torch::Tensor out = runUNet(input.index_select(2, frames), t, embeddings, control, frames).to(latentDtype_);
      prediction.index_add_(2, frames, out * weights.view({1, 1, -1, 1, 1}));
      weightSum.index_add_(0, frames, weights);
    }
    prediction = prediction / weightSum.view({1, 1, -1, 1, 1});
  }
  if (!guided) return prediction;
  const auto halves = prediction.chunk(2);
  return halves[0] + request.guidance * (halves[1] - halves[0]);
}

torch::Tensor AnimateDiffPipeline::denoise(const GenerationRequest& request, jobs::JobContext& job) {
  request.validate();
  // Without motion modules the UNet is SD 1.5's own: fine for one picture, not for a video.
  if (!unet_->hasMotionModules() && request.frames > 1)
    throw ConfigError(
        "no motion module is loaded: give an AnimateDiff motion module to make videos (or ask for 1 frame)");
  c10::InferenceMode inference;
  // The adapters' scales are this request's, for this call only.
  const adapters::ScopedAdapterScales scales(adapters_, request.adapterScales());

  return engine::guardMemory("denoising " + describeWork(request), device_, [&] {
    std::unique_ptr<diffusion::Scheduler> scheduler =
        diffusion::makeScheduler(request.sampler, request.schedulerConfig());
    scheduler->setTimesteps(request.steps);
    const torch::Tensor embeddings = promptEmbeddings(request);
    const std::vector<ActiveControl> control = embedControl(request);
    // The prompt's cross-attention keys and values, once for every frame, window and step.
    const nn::CrossAttentionReuse reuse;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(request.seed);
    torch::Tensor latents = initialLatents(request, generator, scheduler->initNoiseSigma());

    const std::vector<double>& timesteps = scheduler->timesteps();
    const int steps = static_cast<int>(timesteps.size());
    job.beginStage("denoising", static_cast<int64_t>(timesteps.size()));
    for (size_t i = 0; i < timesteps.size(); ++i) {
      job.throwIfCancelled();
      const int step = static_cast<int>(i);
      const torch::Tensor scaled = scheduler->scaleModelInput(latents, step);
      const torch::Tensor noise =
          predictNoise(scaled, timesteps[i], embeddings, request, job, controlAtStep(control, request, step, steps));
      latents = scheduler->step(noise, step, latents, generator);
      job.progress(static_cast<int64_t>(i) + 1);
    }
    return latents;
  });
}

torch::Tensor AnimateDiffPipeline::decode(const torch::Tensor& latents, int chunkFrames, jobs::JobContext& job) {
  TORCH_CHECK(latents.dim() == 5, "decode: latents must be [videos, 4, F, h, w], got ", latents.sizes());
  if (chunkFrames < 1) throw ConfigError("decode chunk must be >= 1, got " + std::to_string(chunkFrames));
  c10::InferenceMode inference;
  const int64_t videos = latents.size(0), frames = latents.size(2);
  const std::string what = "decoding " + std::to_string(videos * frames) + " frames";
  return engine::guardMemory(what, device_, [&] {
    // diffusers multiplies by 1 / scaling_factor (not a division): the same rounding.
    const torch::Tensor z = latents.to(latentDtype_)
                                .permute({0, 2, 1, 3, 4})
                                .reshape({videos * frames, latents.size(1), latents.size(3), latents.size(4)}) *
                            (1.0 / vae_->config().scaling_factor);
    const int64_t total = z.size(0);
    const int64_t chunks = (total + chunkFrames - 1) / chunkFrames;
    job.beginStage("decoding", chunks);
    std::vector<torch::Tensor> pieces;
    for (int64_t c = 0; c < chunks; ++c) {
      job.throwIfCancelled();
      const int64_t begin = c * chunkFrames;
      const torch::Tensor decoded = vae_->decode(z.slice(0, begin, std::min(total, begin + chunkFrames)));
      // Denormalized right away on the CPU: only the float32 frames accumulate.
      pieces.push_back((decoded.to(torch::kCPU, torch::kFloat32) / 2 + 0.5).clamp(0, 1));
      job.progress(c + 1);
    }
    torch::Tensor video = torch::cat(pieces);
    return video.reshape({videos, frames, video.size(1), video.size(2), video.size(3)});
  });
}

GenerationResult AnimateDiffPipeline::generate(const GenerationRequest& request, jobs::JobContext& job) {
  GenerationResult result;
  result.seed = request.seed;
  auto start = std::chrono::steady_clock::now();
  result.latents = denoise(request, job);
  result.secondsDenoising = secondsSince(start);
  start = std::chrono::steady_clock::now();
  result.video = decode(result.latents, request.decodeChunk, job);
  result.secondsDecoding = secondsSince(start);
  return result;
}

void AnimateDiffPipeline::addAdapter(std::shared_ptr<adapters::UNetAdapter> adapter) {
  TORCH_CHECK(adapter, "addAdapter: null adapter");
  adapter->attach(unet_);
  adapters_.push_back(std::move(adapter));
}

void AnimateDiffPipeline::mergeAdapter(const std::shared_ptr<adapters::UNetAdapter>& adapter) {
  const auto it = std::find(adapters_.begin(), adapters_.end(), adapter);
  if (it == adapters_.end()) throw ConfigError("mergeAdapter: " + adapter->describe() + " is not attached here");
  adapter->merge(unet_);
  adapters_.erase(it);
}

void AnimateDiffPipeline::clearAdapters() {
  for (auto it = adapters_.rbegin(); it != adapters_.rend(); ++it) (*it)->detach(unet_);
  adapters_.clear();
}

}  // namespace sm::pipelines
