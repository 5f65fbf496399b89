#include "core/pipelines/pipeline_loading.h"

#include <filesystem>

#include "core/adapters/lora_file.h"
#include "core/adapters/lora_merge.h"
#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/adapters/weight_blend.h"
#include "core/io/state_dict_reader.h"
#include "core/models/unet/unet_loader.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace sm::pipelines {
namespace {

void advance(jobs::JobContext& job, int* done) {
  job.throwIfCancelled();
  job.progress(++*done);
}

text::CLIPTokenizer loadTokenizer(const SDCheckpointParts& parts, const std::string& override) {
  if (!override.empty()) return text::CLIPTokenizer::fromDiffusersFolder(override);
  const fs::path folder = fs::path(parts.path) / "tokenizer";
  if (parts.isDiffusersFolder && fs::exists(folder / "vocab.json"))
    return text::CLIPTokenizer::fromDiffusersFolder(folder);
  return text::CLIPTokenizer::fromEmbedded();  // LDM files carry no tokenizer: SD 1.5's is CLIP's
}

void mergeLoRAFile(const std::string& path, float strength, models::UNet3D& unet, models::CLIPTextModel& text,
                   jobs::JobContext& job) {
  const io::StateDictIndex index = io::readStateDict(path);
  adapters::LoRATargetPaths targets;
  targets[adapters::kLoRATargetUNet] = adapters::weightModulePaths(*unet);
  targets[adapters::kLoRATargetTextEncoder] = adapters::weightModulePaths(*text);
  const adapters::LoRAFile lora = adapters::readLoRA(index, targets);
  adapters::mergeLoRA(*unet, adapters::kLoRATargetUNet, lora.forTarget(adapters::kLoRATargetUNet), strength);
  adapters::mergeLoRA(*text, adapters::kLoRATargetTextEncoder, lora.forTarget(adapters::kLoRATargetTextEncoder),
                      strength);
  job.info("merged LoRA " + path + " (" + lora.naming + " naming, " + std::to_string(lora.modules.size()) +
           " modules) at strength " + std::to_string(strength));
}

}  // namespace

int customizationUnits(const PipelineSources& sources) {
  return (sources.custom.empty() ? 0 : 1) + static_cast<int>(sources.loras.size());
}

BasePipeline loadBasePipeline(const PipelineSources& sources, const PipelineLoadOptions& options, jobs::JobContext& job,
                              int* done) {
  BasePipeline out;
  out.parts = readSDCheckpointParts(sources.base);
  const SDCheckpointParts& base = out.parts;
  if (base.textEncoder.size() == 0) throw CheckpointError(sources.base, "has no text encoder weights");
  if (base.vae.size() == 0) throw CheckpointError(sources.base, "has no VAE weights");

  models::UNet3DLoadOptions unetOptions;
  unetOptions.device = options.device;
  unetOptions.dtype = options.dtype;
  unetOptions.runtime = options.unet;
  unetOptions.unetConfig = options.unetConfig;
  models::UNet3DLoadReport report;
  models::UNet3D unet = models::loadUNet3D(sources.base, sources.motionModule, unetOptions, &report);
  job.info("UNet: " + report.unetWeightsPath + " (" + report.unetNaming + " naming)" +
           (report.motionNaming.empty()
                ? std::string(", no motion module")
                : ", motion module " + report.motionWeightsPath + " (" + report.motionNaming + " naming)"));
  advance(job, done);

  const fs::path folder(sources.base);
  models::CLIPTextModel text =
      base.isDiffusersFolder
          ? models::loadCLIPTextModelFromFolder((folder / "text_encoder").string(), options.device, options.dtype)
          : models::loadCLIPTextModel(
                base.textEncoder,
                options.textEncoderConfig.value_or(models::CLIPTextConfig::inferFromWeights(base.textEncoder)),
                options.device, options.dtype);
  text::CLIPTokenizer tokenizer = loadTokenizer(base, sources.tokenizer);
  const auto vocabulary = static_cast<size_t>(text->config().vocab_size);
  if (tokenizer.vocabSize() > vocabulary)
    throw CheckpointError(sources.base, "its text encoder knows " + std::to_string(vocabulary) +
                                            " tokens but the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
                                            ": give the tokenizer that belongs to it (a diffusers tokenizer/ folder)");
  advance(job, done);

  models::AutoencoderKL vae =
      base.isDiffusersFolder
          ? models::loadAutoencoderKLFromFolder((folder / "vae").string(), options.device, options.dtype)
          : models::loadAutoencoderKL(base.vae,
                                      options.vaeConfig.value_or(models::VAEConfig::inferFromWeights(base.vae)),
                                      options.device, options.dtype);
  advance(job, done);
  out.pipeline = std::make_unique<AnimateDiffPipeline>(std::move(tokenizer), std::move(text), std::move(unet),
                                                       std::move(vae), options.device, options.dtype);
  return out;
}

void applyCustomization(AnimateDiffPipeline& pipeline, const PipelineSources& sources, jobs::JobContext& job,
                        int* done) {
  if (sources.interpolation && sources.custom.empty())
    throw ConfigError("interpolation blends the base with a customized model: give the customized model too");
  torch::NoGradGuard noGrad;
  if (!sources.custom.empty()) {
    const SDCheckpointParts custom = readSDCheckpointParts(sources.custom);
    // Injection, or the interpolation baseline between base and customized weights.
    auto blend = [&](torch::nn::Module& target, const io::StateDictIndex& weights) {
      return sources.interpolation ? adapters::interpolateWeights(target, weights, *sources.interpolation)
                                   : adapters::injectCustomizedWeights(target, weights);
    };
    const adapters::BlendReport unetReport = blend(*pipeline.unet(), custom.unet);
    if (unetReport.replaced == 0)
      throw CheckpointError(sources.custom, "shares no UNet weight (same name and shape) with the base model");
    std::string message =
        (sources.interpolation ? "interpolated (lambda " + std::to_string(*sources.interpolation) + ") " +
                                     std::to_string(unetReport.replaced) + " UNet weights with "
                               : "injected " + std::to_string(unetReport.replaced) + " UNet weights from ") +
        sources.custom;
    if (custom.textEncoder.size() > 0) {
      const adapters::BlendReport textReport = blend(*pipeline.textEncoder(), custom.textEncoder);
      message += " and " + std::to_string(textReport.replaced) + " text-encoder weights";
    }
    if (!unetReport.missing.empty() || !unetReport.shapeMismatch.empty())
      job.warn(sources.custom + ": " + std::to_string(unetReport.missing.size()) + " UNet weights missing and " +
               std::to_string(unetReport.shapeMismatch.size()) + " of another shape were kept from the base");
    job.info(message);
    advance(job, done);
  }
  for (const auto& [path, strength] : sources.loras) {
    mergeLoRAFile(path, strength, pipeline.unet(), pipeline.textEncoder(), job);
    advance(job, done);
  }
}

void restoreBaseWeights(AnimateDiffPipeline& pipeline, const SDCheckpointParts& base) {
  torch::NoGradGuard noGrad;
  // Injecting the base file's own weights is the exact inverse of any
  // customization: the same tensors, converted the same way as at load.
  adapters::injectCustomizedWeights(*pipeline.unet(), base.unet);
  adapters::injectCustomizedWeights(*pipeline.textEncoder(), base.textEncoder);
}

void attachSpatialAdapters(AnimateDiffPipeline& pipeline, const std::string& path, bool merge, jobs::JobContext& job) {
  std::shared_ptr<adapters::LowRankAdapter> spatial = adapters::loadSpatialAdapters(path);
  pipeline.addAdapter(spatial);
  job.info("attached " + spatial->describe());
  if (merge) {
    torch::NoGradGuard noGrad;
    pipeline.mergeAdapter(spatial);
    job.info("merged the Spatial Adapters into the weights (strength 1)");
  }
}

void attachMotionAdapter(AnimateDiffPipeline& pipeline, const std::string& path, jobs::JobContext& job) {
  std::shared_ptr<adapters::LowRankAdapter> motion = adapters::loadMotionAdapter(path);
  pipeline.addAdapter(motion);
  job.info("attached " + motion->describe());
}

}  // namespace sm::pipelines
