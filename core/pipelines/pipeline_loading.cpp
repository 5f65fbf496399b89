#include "core/pipelines/pipeline_loading.h"

#include <optional>

#include "core/adapters/lora_file.h"
#include "core/adapters/lora_merge.h"
#include "core/adapters/model_fingerprint.h"
#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/adapters/weight_blend.h"
#include "core/engine/device.h"
#include "core/io/model_opener.h"
#include "core/io/state_dict_reader.h"
#include "core/models/unet/unet_loader.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

void advance(jobs::JobContext& job, int* done) {
  job.throwIfCancelled();
  job.progress(++*done);
}

text::CLIPTokenizer loadTokenizer(const io::OpenedModel& base, const std::string& override) {
  if (!override.empty()) return text::CLIPTokenizer::fromDiffusersFolder(override);
  if (!base.tokenizerFolder.empty()) return text::CLIPTokenizer::fromDiffusersFolder(base.tokenizerFolder);
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

int customizationUnits(const ModelSet& sources) {
  return (sources.custom.empty() ? 0 : 1) + static_cast<int>(sources.loras.size());
}

BasePipeline loadBasePipeline(const ModelSet& sources, const PipelineLoadOptions& options, jobs::JobContext& job,
                              int* done) {
  BasePipeline out;
  // Each file is opened once: the UNet, text encoder and VAE below share these indexes,
  // and the cache keeps them to undo customizations.
  out.base = io::openSDModel(sources.base);
  const io::OpenedModel& base = out.base;
  const io::OpenedComponent* baseText = base.find(io::ModelKind::TextEncoder);
  const io::OpenedComponent* baseVAE = base.find(io::ModelKind::VAE);
  if (!baseText) throw CheckpointError(sources.base, "has no text encoder weights");
  if (!baseVAE) throw CheckpointError(sources.base, "has no VAE weights");
  std::optional<io::OpenedModel> motionModule;
  if (!sources.motionModule.empty()) motionModule = io::openModel(sources.motionModule);

  // The UNet is loaded (and later customized) in the precision around it, fp32 on the CPU;
  // the caller casts it to options.dtype when its weights are final (setUNetDtype).
  const torch::ScalarType aroundUNet = engine::dtypeAroundUNet(options.dtype, options.device);
  models::UNet3DLoadOptions unetOptions;
  unetOptions.device = options.device;
  unetOptions.dtype = aroundUNet;
  unetOptions.runtime = options.unet;
  unetOptions.unetConfig = options.unetConfig;
  models::UNet3DLoadReport report;
  models::UNet3D unet = models::loadUNet3D(base, motionModule ? &*motionModule : nullptr, unetOptions, &report);
  job.info("UNet: " + report.unetWeightsPath + " (" + report.unetNaming + " naming)" +
           (report.motionNaming.empty()
                ? std::string(", no motion module")
                : ", motion module " + report.motionWeightsPath + " (" + report.motionNaming + " naming)"));
  advance(job, done);

  // The text encoder and the VAE keep that precision.
  models::CLIPTextModel text =
      models::loadCLIPTextModel(*baseText, options.device, aroundUNet, options.textEncoderConfig);
  text::CLIPTokenizer tokenizer = loadTokenizer(base, sources.tokenizer);
  const auto vocabulary = static_cast<size_t>(text->config().vocab_size);
  if (tokenizer.vocabSize() > vocabulary)
    throw CheckpointError(sources.base, "its text encoder knows " + std::to_string(vocabulary) +
                                            " tokens but the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
                                            ": give the tokenizer that belongs to it (a diffusers tokenizer/ folder)");
  advance(job, done);

  models::AutoencoderKL vae = models::loadAutoencoderKL(*baseVAE, options.device, aroundUNet, options.vaeConfig);
  advance(job, done);
  out.pipeline = std::make_unique<AnimateDiffPipeline>(std::move(tokenizer), std::move(text), std::move(unet),
                                                       std::move(vae), options.device, aroundUNet);
  out.baseSpatial = adapters::fingerprintUNet(*out.pipeline->unet()).spatial;
  return out;
}

void applyCustomization(AnimateDiffPipeline& pipeline, const ModelSet& sources, jobs::JobContext& job, int* done) {
  torch::NoGradGuard noGrad;
  if (!sources.custom.empty()) {
    const io::OpenedModel custom = io::openSDModel(sources.custom);
    const io::OpenedComponent* customText = custom.find(io::ModelKind::TextEncoder);
    // Injection, or the interpolation baseline between base and customized weights.
    auto blend = [&](torch::nn::Module& target, const io::StateDictIndex& weights) {
      return sources.interpolation ? adapters::interpolateWeights(target, weights, *sources.interpolation)
                                   : adapters::injectCustomizedWeights(target, weights);
    };
    const adapters::BlendReport unetReport = blend(*pipeline.unet(), *custom.find(io::ModelKind::UNet)->weights);
    if (unetReport.replaced == 0)
      throw CheckpointError(sources.custom, "shares no UNet weight (same name and shape) with the base model");
    std::string message =
        (sources.interpolation ? "interpolated (lambda " + std::to_string(*sources.interpolation) + ") " +
                                     std::to_string(unetReport.replaced) + " UNet weights with "
                               : "injected " + std::to_string(unetReport.replaced) + " UNet weights from ") +
        sources.custom;
    if (customText && customText->weights->size() > 0) {
      const adapters::BlendReport textReport = blend(*pipeline.textEncoder(), *customText->weights);
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

void restoreBaseWeights(AnimateDiffPipeline& pipeline, const io::OpenedModel& base) {
  torch::NoGradGuard noGrad;
  // Injecting the base file's own weights is the exact inverse of any
  // customization: the same tensors, converted the same way as at load.
  adapters::injectCustomizedWeights(*pipeline.unet(), *base.find(io::ModelKind::UNet)->weights);
  adapters::injectCustomizedWeights(*pipeline.textEncoder(), *base.find(io::ModelKind::TextEncoder)->weights);
}

namespace {

// Adapters from other tools (or older versions) carry no fingerprint of the models they
// were trained on: they cannot be checked against the loaded ones, and the user should know.
// Mismatched ones accepted with --force are said too.
void warnIfUnchecked(const adapters::LowRankAdapter& adapter, const std::string& path, jobs::JobContext& job) {
  const adapters::AdapterMetadata& m = adapter.metadata();
  if (m.baseFingerprint.empty() && m.motionFingerprint.empty())
    job.warn(path +
             " carries no fingerprint of the models it was trained on, so it cannot be checked against the "
             "loaded ones: make sure they are the same (adapters trained by this version carry one)");
  for (const std::string& warning : adapter.fingerprintWarnings()) job.warn(warning);
}

}  // namespace

void attachSpatialAdapters(AnimateDiffPipeline& pipeline, const std::string& path, bool merge, bool acceptForeign,
                           jobs::JobContext& job) {
  std::shared_ptr<adapters::LowRankAdapter> spatial = adapters::loadSpatialAdapters(path);
  spatial->enforceFingerprints(!acceptForeign);
  pipeline.addAdapter(spatial);
  job.info("attached " + spatial->describe());
  warnIfUnchecked(*spatial, path, job);
  if (merge) {
    torch::NoGradGuard noGrad;
    pipeline.mergeAdapter(spatial);
    job.info("merged the Spatial Adapters into the weights (strength 1)");
  }
}

void attachMotionAdapter(AnimateDiffPipeline& pipeline, const std::string& path, bool acceptForeign,
                         const adapters::Fingerprint& baseSpatial, jobs::JobContext& job) {
  std::shared_ptr<adapters::LowRankAdapter> motion = adapters::loadMotionAdapter(path);
  motion->enforceFingerprints(!acceptForeign);
  motion->expectBase(baseSpatial);
  pipeline.addAdapter(motion);
  job.info("attached " + motion->describe());
  warnIfUnchecked(*motion, path, job);
}

}  // namespace sm::pipelines
