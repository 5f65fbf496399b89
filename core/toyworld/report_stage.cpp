#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "core/datasets/dataset_folder.h"
#include "core/diffusion/scheduler.h"
#include "core/pipelines/generation_request.h"
#include "core/toyworld/customizations.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/report.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/toy_models.h"
#include "core/toyworld/world_batches.h"
#include "core/util/atomic_file.h"
#include "core/worker/jobs.h"
#include "core/world/motion_metrics.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

constexpr int kSteps = 20;
constexpr double kGuidance = 5.0;

/// Text-to-image sampling with the toy T2I (DDIM, classifier-free guidance): [B, 3, H, W] in [-1, 1].
torch::Tensor sampleImages(models::UNet3DImpl& unet, models::CLIPTextModelImpl& text, models::AutoencoderKLImpl& vae,
                           const text::CLIPTokenizer& tokenizer, const std::vector<std::string>& prompts,
                           uint64_t seed) {
  torch::NoGradGuard noGrad;
  const int64_t b = static_cast<int64_t>(prompts.size());
  pipelines::GenerationRequest request;
  auto scheduler = diffusion::makeScheduler(diffusion::SamplerKind::DDIM, request.schedulerConfig());
  scheduler->setTimesteps(kSteps);
  std::vector<std::string> both(prompts.size(), "");
  both.insert(both.end(), prompts.begin(), prompts.end());
  const torch::Tensor embeddings = text.forward(tokenize(tokenizer, both));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor latents = at::randn({b, 4, kImageSize / 8, kImageSize / 8}, generator) * scheduler->initNoiseSigma();
  const auto& timesteps = scheduler->timesteps();
  for (size_t i = 0; i < timesteps.size(); ++i) {
    const torch::Tensor scaled = scheduler->scaleModelInput(latents, static_cast<int>(i));
    const torch::Tensor noise =
        unet.forward(torch::cat({scaled, scaled}), torch::full({2 * b}, timesteps[i]), embeddings);
    const auto halves = noise.chunk(2);
    latents = scheduler->step(halves[0] + kGuidance * (halves[1] - halves[0]), static_cast<int>(i), latents, generator);
  }
  return vae.decode(latents / kScalingFactor).clamp(-1, 1);
}

worker::GenerateJob videoJob(const ToyModelFiles& files, const std::string& prompt, uint64_t seed) {
  worker::GenerateJob g;
  g.models.base = files.base().string();
  g.models.motionModule = files.motionModule().string();
  g.models.tokenizer = files.tokenizer().string();
  g.dtype = "fp32";
  g.request.prompt = prompt;
  g.request.width = g.request.height = kImageSize;
  g.request.frames = kFrames;
  g.request.steps = kSteps;
  g.request.guidance = kGuidance;
  g.request.seed = seed;
  return g;
}

std::string sceneText(const world::Scene& s, world::Color c, world::Shape shape) {
  world::Scene t = s;
  t.color = c;
  t.shape = shape;
  return world::caption(t, false);
}

nlohmann::json baseTextToImage(const WorldFolder& folder, Evaluator& evaluator, jobs::JobContext& job) {
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::AutoencoderKL vae = loadToyVae(folder);
  models::CLIPTextModel text = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  models::UNet3D unet = loadToyUNet(folder, "t2i", false);
  job.beginStage("figures: base T2I", 64);
  int joint = 0, shape = 0, color = 0;
  for (int64_t first = 0; first < 64; first += 16) {
    std::vector<world::Scene> scenes;
    std::vector<std::string> prompts;
    for (int64_t i = first; i < first + 16; ++i) {
      scenes.push_back(world::sampleScene(world::kTestSeed, static_cast<uint64_t>(i)));
      prompts.push_back(world::caption(scenes.back(), false));
    }
    const torch::Tensor images = evaluator.images(sampleImages(*unet, *text, *vae, tokenizer, prompts, 100 + first));
    for (size_t k = 0; k < scenes.size(); ++k) {
      std::vector<std::string> options;
      for (int s = 0; s < world::kBaseShapes; ++s)
        for (int c = 0; c < world::kColors; ++c)
          options.push_back(sceneText(scenes[k], static_cast<world::Color>(c), static_cast<world::Shape>(s)));
      const int64_t best =
          images[static_cast<int64_t>(k)].matmul(evaluator.texts(options).t()).argmax().item<int64_t>();
      const int s = static_cast<int>(best / world::kColors), c = static_cast<int>(best % world::kColors);
      shape += s == static_cast<int>(scenes[k].shape);
      color += c == static_cast<int>(scenes[k].color);
      joint += s == static_cast<int>(scenes[k].shape) && c == static_cast<int>(scenes[k].color);
    }
    job.progress(first + 16);
  }
  return {{"prompts", 64},
          {"shape_and_color_recognised", joint / 64.0},
          {"shape_recognised", shape / 64.0},
          {"color_recognised", color / 64.0},
          {"chance", 1.0 / (world::kBaseShapes * world::kColors)},
          {"target", 0.8}};
}

nlohmann::json baseTextToVideo(const ToyModelFiles& files, pipelines::ModelCache& cache, jobs::JobContext& job) {
  const int count = 48;
  int recognised = 0;
  double flowModel = 0, flowWorld = 0;
  job.beginStage("figures: base T2V", count);
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(1000 + i));
    const auto clip =
        worker::runGenerate(cache, videoJob(files, world::caption(scene, true), 200 + i), jobs::silentJob())
            .clips.front();
    const auto motion = world::classifyMotion(clip);
    recognised += motion && *motion == scene.motion;
    flowModel += world::meanFlowMagnitude(clip);
    flowWorld += world::meanFlowMagnitude(world::drawVideo(scene, kFrames, kImageSize, kFps));
    job.progress(i + 1);
  }
  return {{"videos", count},
          {"motion_recognised", recognised / static_cast<double>(count)},
          {"chance", 1.0 / world::kMotions},
          {"target", 0.5},
          {"mean_flow_model", flowModel / count},
          {"mean_flow_world", flowWorld / count},
          {"flow_ratio", flowModel / std::max(flowWorld, 1e-9)}};
}

nlohmann::json objectTextToImage(const WorldFolder& folder, Evaluator& evaluator, const torch::Tensor& references,
                                 jobs::JobContext& job) {
  const text::CLIPTokenizer tokenizer = toyTokenizer(folder);
  models::AutoencoderKL vae = loadToyVae(folder);
  models::CLIPTextModel text = loadToyTextEncoder(folder, static_cast<int>(tokenizer.vocabSize()));
  models::UNet3D base = loadToyUNet(folder, "t2i", false);
  models::UNet3D object = loadToyUNet(folder, "object", false);
  job.beginStage("figures: customized T2I", 32);
  world::SceneFilter toy;
  toy.shapes = {world::Shape::Toy};
  std::vector<std::string> prompts;
  for (uint64_t i = 0; i < 32; ++i)
    prompts.push_back(world::caption(world::sampleScene(world::kTestSeed, i, toy), false));
  const torch::Tensor simBase =
      evaluator.images(sampleImages(*base, *text, *vae, tokenizer, prompts, 300)).matmul(references.t()).mean(1);
  const torch::Tensor simObject =
      evaluator.images(sampleImages(*object, *text, *vae, tokenizer, prompts, 300)).matmul(references.t()).mean(1);
  job.progress(32);
  return {{"samples", 32},
          {"object_more_similar_than_base", (simObject > simBase).to(torch::kFloat32).mean().item<double>()},
          {"similarity_object", simObject.mean().item<double>()},
          {"similarity_base", simBase.mean().item<double>()},
          {"target", 0.9}};
}

double meanFidelity(const video::VideoClip& clip, Evaluator& evaluator, const torch::Tensor& references) {
  return evaluator.images(clipToTensor(clip)).matmul(references.t()).mean().item<double>();
}

nlohmann::json adapters(const ToyModelFiles& files, pipelines::ModelCache& cache, Evaluator& evaluator,
                        const torch::Tensor& references, jobs::JobContext& job) {
  const int count = 8;
  double flowA1 = 0, flowA0 = 0, fidNaive = 0, fidStill = 0, flowNaive = 0, flowStill = 0;
  job.beginStage("figures: adapters", count);
  world::SceneFilter toy;
  toy.shapes = {world::Shape::Toy};
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(2000 + i));
    worker::GenerateJob g = videoJob(files, world::caption(scene, false), 400 + i);
    g.models.motionAdapter = files.motionAdapter().string();
    g.request.motionScale = 1.0;
    flowA1 += world::meanFlowMagnitude(worker::runGenerate(cache, g, jobs::silentJob()).clips.front());
    g.request.motionScale = 0.0;
    flowA0 += world::meanFlowMagnitude(worker::runGenerate(cache, g, jobs::silentJob()).clips.front());

    const world::Scene toyScene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(3000 + i), toy);
    worker::GenerateJob naive = videoJob(files, world::caption(toyScene, true), 500 + i);
    naive.models.custom = files.object().string();
    const auto naiveClip = worker::runGenerate(cache, naive, jobs::silentJob()).clips.front();
    worker::GenerateJob still = naive;
    still.models.spatialAdapters = files.objectSpatialAdapters().string();
    still.models.motionAdapter = files.motionAdapter().string();
    const auto stillClip = worker::runGenerate(cache, still, jobs::silentJob()).clips.front();
    fidNaive += meanFidelity(naiveClip, evaluator, references);
    fidStill += meanFidelity(stillClip, evaluator, references);
    flowNaive += world::meanFlowMagnitude(naiveClip);
    flowStill += world::meanFlowMagnitude(stillClip);
    job.progress(i + 1);
  }
  return {{"motion_adapter",
           {{"videos", count},
            {"mean_flow_scale_1", flowA1 / count},
            {"mean_flow_scale_0", flowA0 / count},
            {"ratio", flowA1 / std::max(flowA0, 1e-9)},
            {"target_at_most", 0.25}}},
          {"still_moving_object",
           {{"videos", count},
            {"fidelity_naive_injection", fidNaive / count},
            {"fidelity_still_moving", fidStill / count},
            {"motion_naive_injection", flowNaive / count},
            {"motion_still_moving", flowStill / count}}}};
}

torch::Tensor referenceEmbeddings(const ToyModelFiles& files, Evaluator& evaluator) {
  std::vector<torch::Tensor> pixels;
  for (const auto& frame : referencePictures(CustomizationKind::Object)) pixels.push_back(frameToTensor(frame));
  (void)files;
  return evaluator.images(torch::stack(pixels));
}

std::string fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void writeCard(const fs::path& folder, const std::string& name, const std::string& what, const StageRecord& record,
               const std::string& figures) {
  fs::create_directories(folder);
  datasets::writePng((folder / (name + "_loss.png")).string(), lossCurve(record.losses, name + " training loss"));
  std::string card = "# " + name + "\n\n" + what + "\n\n";
  card += "- steps: " + std::to_string(record.steps) + "\n";
  card += "- training time: " + fixed(record.seconds / 60.0, 1) + " min on 2 CPU cores\n";
  card += "- seed: " + std::to_string(record.seed) + "\n";
  card += "- final loss (mean of the last 50 steps): " + fixed(record.figures.value("final_loss", 0.0), 4) + "\n\n";
  if (!figures.empty()) card += "## Measured\n\n" + figures + "\n";
  card += "![loss](" + name +
          "_loss.png)\n\nRetrain: `stillmoving world train --out DIR` (see resources/toyworld/README.md).\n";
  util::writeFileAtomically((folder / (name + ".md")).string(), card);
}

}  // namespace

video::Frame lossCurve(const std::vector<double>& losses, const std::string& title) {
  const int w = 480, h = 240, pad = 30;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(img, title, cv::Point(pad, 18), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
  if (losses.size() >= 2) {
    std::vector<double> smooth(losses.size());
    double ema = losses[0];
    for (size_t i = 0; i < losses.size(); ++i) smooth[i] = ema = 0.95 * ema + 0.05 * losses[i];
    const double hi = *std::max_element(smooth.begin(), smooth.end()) * 1.2;
    const double lo = 0;
    auto point = [&](size_t i, double v) {
      const double x = pad + (w - 2 * pad) * static_cast<double>(i) / (losses.size() - 1);
      const double y = h - pad - (h - 2 * pad) * std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
      return cv::Point(static_cast<int>(x), static_cast<int>(y));
    };
    for (size_t i = 1; i < losses.size(); ++i)
      cv::line(img, point(i - 1, losses[i - 1]), point(i, losses[i]), cv::Scalar(190, 200, 235), 1, cv::LINE_AA);
    for (size_t i = 1; i < smooth.size(); ++i)
      cv::line(img, point(i - 1, smooth[i - 1]), point(i, smooth[i]), cv::Scalar(200, 60, 40), 2, cv::LINE_AA);
    cv::putText(img, fixed(hi, 3), cv::Point(2, pad), cv::FONT_HERSHEY_SIMPLEX, 0.35, cv::Scalar(80, 80, 80), 1);
    cv::putText(img, "step " + std::to_string(losses.size()), cv::Point(w - pad - 60, h - 8), cv::FONT_HERSHEY_SIMPLEX,
                0.35, cv::Scalar(80, 80, 80), 1);
  }
  cv::rectangle(img, cv::Point(pad, pad), cv::Point(w - pad, h - pad), cv::Scalar(160, 160, 160), 1);
  video::Frame out;
  out.width = w;
  out.height = h;
  out.rgb.assign(img.data, img.data + img.total() * 3);
  return out;
}

void reportStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job) {
  if (!options.models) throw ConfigError("the report stage needs the compute worker's models (internal)");
  const ToyModelFiles files{folder.root() / "models"};
  Evaluator evaluator = loadEvaluator(files.evaluator());
  const torch::Tensor references = referenceEmbeddings(files, evaluator);
  nlohmann::json figures;
  figures["base_t2i"] = baseTextToImage(folder, evaluator, job);
  figures["base_t2v"] = baseTextToVideo(files, *options.models, job);
  figures["object_t2i"] = objectTextToImage(folder, evaluator, references, job);
  const nlohmann::json a = adapters(files, *options.models, evaluator, references, job);
  figures["motion_adapter"] = a["motion_adapter"];
  figures["still_moving_object"] = a["still_moving_object"];
  job.info("figures: " + figures.dump());

  const fs::path cards = files.root / "cards";
  auto rec = [&](const std::string& s) { return readStageRecord(folder.record(s)); };
  const auto& t2i = figures["base_t2i"];
  const auto& t2v = figures["base_t2v"];
  const auto& obj = figures["object_t2i"];
  const auto& ma = figures["motion_adapter"];
  const auto& sm = figures["still_moving_object"];
  writeCard(cards, "vae",
            "AutoencoderKL (block_out_channels 64x4, 1 layer per block, 4 latent channels, factor 8) "
            "trained on world pictures (seed 1) with L1 + L2 reconstruction and a 1e-5 KL term; latents rescaled so "
            "SD's scaling factor 0.18215 gives them unit variance.",
            rec("vae"), "- held-out PSNR: " + fixed(rec("vae").figures.value("heldout_psnr", 0.0), 2) + " dB\n");
  writeCard(cards, "t2i",
            "The T2I UNet (SD 1.5 architecture: 64-wide blocks, 1 layer per block, 8 heads, context 128) "
            "and its CLIP text encoder (3 layers, width 128), trained together from nothing on captioned world "
            "pictures (seed 1), 10% of captions dropped.",
            rec("t2i"),
            "- shape and colour recognised by the evaluator (64 prompts): " + fixed(t2i["shape_and_color_recognised"]) +
                " (target 0.8; chance " + fixed(t2i["chance"]) + ")\n- shape alone: " + fixed(t2i["shape_recognised"]) +
                ", colour alone: " + fixed(t2i["color_recognised"]) + "\n");
  writeCard(cards, "motion_module",
            "AnimateDiff v3-layout motion modules trained on captioned world videos "
            "(16 frames) with the T2I and text encoder frozen, as AnimateDiff does.",
            rec("motion"),
            "- motion named in the prompt recognised by optical flow (48 videos): " + fixed(t2v["motion_recognised"]) +
                " (target 0.5; chance " + fixed(t2v["chance"]) + ")\n- mean flow: " + fixed(t2v["mean_flow_model"]) +
                " px/frame vs the world's " + fixed(t2v["mean_flow_world"]) + " (ratio " + fixed(t2v["flow_ratio"]) +
                ", target within 0.5-2)\n");
  writeCard(cards, "evaluator",
            "CLIP-style image/text model (4-level conv image tower, 2-layer text tower of "
            "its own) trained contrastively on the evaluator's split (seed 2), toy and style pictures included.",
            rec("evaluator"), "");
  writeCard(cards, "toy_object",
            "DreamBooth-style full UNet fine-tune on five pictures of \"a sks toy\" (a "
            "striped heart), half of every batch world pictures for prior preservation.",
            rec("object"),
            "- more similar to the references than the base for the same prompt and seed: " +
                fixed(obj["object_more_similar_than_base"]) + " of 32 (target 0.9); mean similarity " +
                fixed(obj["similarity_object"]) + " vs base " + fixed(obj["similarity_base"]) + "\n");
  writeCard(cards, "sks_style_lora",
            "LoRA (rank 8, kohya naming) on every spatial attention projection, trained "
            "on five pictures \"in sks style\" (striped fill, dark outline) with prior preservation.",
            rec("style"), "");
  writeCard(cards, "motion_adapter",
            "Still-Moving's Motion Adapter (rank 8) trained at a = 1 on frozen videos of "
            "the base T2I's own pictures.",
            rec("motion_adapter"),
            "- mean flow at a = 1 / a = 0 (8 videos): " + fixed(ma["mean_flow_scale_1"]) + " / " +
                fixed(ma["mean_flow_scale_0"]) + " = " + fixed(ma["ratio"]) + " (target at most 0.25)\n");
  writeCard(cards, "spatial_adapters_object",
            "Spatial Adapters (rank 8) for the object, trained through the video "
            "model on its frozen videos (Motion Adapter at a = 1) and 40 world videos (a = 0).",
            rec("spatial_object"),
            "- fidelity to the references, Still-Moving vs naive injection (8 videos): " +
                fixed(sm["fidelity_still_moving"]) + " vs " + fixed(sm["fidelity_naive_injection"]) + "\n- motion: " +
                fixed(sm["motion_still_moving"]) + " vs " + fixed(sm["motion_naive_injection"]) + " px/frame\n");
  writeCard(cards, "spatial_adapters_style", "Spatial Adapters for the style LoRA, trained as for the object.",
            rec("spatial_style"), "");
  util::writeFileAtomically(folder.record("report").string(),
                            nlohmann::json{{"stage", "report"}, {"figures", figures}}.dump(1) + "\n");
}

}  // namespace sm::toyworld
