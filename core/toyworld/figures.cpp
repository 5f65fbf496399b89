#include "core/toyworld/figures.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/toyworld/customizations.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/world_batches.h"
#include "core/worker/jobs.h"
#include "core/world/motion_metrics.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

constexpr int kSteps = 20;
constexpr double kGuidance = 5.0;

video::VideoClip generate(pipelines::ModelCache& models, const worker::GenerateJob& job) {
  return worker::runGenerate(models, job, jobs::silentJob()).clips.front();
}

/// The picture of a one-frame generation, [3, H, W] in [-1, 1].
torch::Tensor picture(pipelines::ModelCache& models, const worker::GenerateJob& job) {
  return frameToTensor(generate(models, job).frames.front());
}

std::string recoloured(const world::Scene& scene, world::Color color, world::Shape shape) {
  world::Scene s = scene;
  s.color = color;
  s.shape = shape;
  return world::caption(s, false);
}

double meanFidelity(const video::VideoClip& clip, Evaluator& evaluator, const torch::Tensor& references) {
  return evaluator.images(clipToTensor(clip)).matmul(references.t()).mean().item<double>();
}

}  // namespace

worker::GenerateJob toyGenerateJob(const ToyModelFiles& files, const std::string& prompt, uint64_t seed, int frames) {
  worker::GenerateJob g;
  g.models.base = files.base().string();
  if (frames > 1) g.models.motionModule = files.motionModule().string();
  g.models.tokenizer = files.tokenizer().string();
  g.dtype = "fp32";
  g.request.prompt = prompt;
  g.request.width = g.request.height = kImageSize;
  g.request.frames = frames;
  g.request.fps = kFps;
  g.request.steps = kSteps;
  g.request.guidance = kGuidance;
  g.request.seed = seed;
  return g;
}

torch::Tensor referenceEmbeddings(Evaluator& evaluator, CustomizationKind kind) {
  std::vector<torch::Tensor> pixels;
  for (const auto& frame : referencePictures(kind)) pixels.push_back(frameToTensor(frame));
  return evaluator.images(torch::stack(pixels));
}

nlohmann::json measureBaseTextToImage(const ToyModelFiles& files, pipelines::ModelCache& models, Evaluator& evaluator,
                                      int count, jobs::JobContext& job) {
  job.beginStage("figures: base T2I", count);
  int joint = 0, shape = 0, color = 0, worldJoint = 0;
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(i));
    // Zero-shot: the caption of every shape and colour on the prompt's own background.
    std::vector<std::string> options;
    for (int s = 0; s < world::kBaseShapes; ++s)
      for (int c = 0; c < world::kColors; ++c)
        options.push_back(recoloured(scene, static_cast<world::Color>(c), static_cast<world::Shape>(s)));
    const torch::Tensor texts = evaluator.texts(options);
    auto classify = [&](const torch::Tensor& picture) {
      return evaluator.images(picture.unsqueeze(0))[0].matmul(texts.t()).argmax().item<int64_t>();
    };
    const int64_t best = classify(picture(models, toyGenerateJob(files, world::caption(scene, false), 100 + i, 1)));
    const bool shapeRight = best / world::kColors == static_cast<int>(scene.shape);
    const bool colorRight = best % world::kColors == static_cast<int>(scene.color);
    shape += shapeRight;
    color += colorRight;
    joint += shapeRight && colorRight;
    // The same classification of the world's own picture of the scene: the
    // figure's ceiling, what the evaluator itself can tell apart.
    const int64_t truth = static_cast<int64_t>(scene.shape) * world::kColors + static_cast<int64_t>(scene.color);
    worldJoint += classify(frameToTensor(world::drawImage(scene, 0.0, kImageSize))) == truth;
    job.progress(i + 1);
    job.throwIfCancelled();  // generations run silently: Ctrl-C is heard between them
  }
  const double n = std::max(count, 1);
  return {{"prompts", count},
          {"shape_and_color_recognised", joint / n},
          {"shape_recognised", shape / n},
          {"color_recognised", color / n},
          {"world_pictures_recognised", worldJoint / n},
          {"chance", 1.0 / (world::kBaseShapes * world::kColors)},
          {"target", 0.8}};
}

nlohmann::json measureBaseTextToVideo(const ToyModelFiles& files, pipelines::ModelCache& models, int count,
                                      jobs::JobContext& job) {
  job.beginStage("figures: base T2V", count);
  int recognised = 0;
  double flowModel = 0, flowWorld = 0;
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(1000 + i));
    const auto clip = generate(models, toyGenerateJob(files, world::caption(scene, true), 200 + i, kFrames));
    const auto motion = world::classifyMotion(clip);
    recognised += motion && *motion == scene.motion;
    flowModel += world::meanFlowMagnitude(clip);
    flowWorld += world::meanFlowMagnitude(world::drawVideo(scene, kFrames, kImageSize, kFps));
    job.progress(i + 1);
    job.throwIfCancelled();
  }
  const double n = std::max(count, 1);
  return {{"videos", count},
          {"motion_recognised", recognised / n},
          {"chance", 1.0 / world::kMotions},
          {"target", 0.5},
          {"mean_flow_model", flowModel / n},
          {"mean_flow_world", flowWorld / n},
          {"flow_ratio", flowModel / std::max(flowWorld, 1e-9)}};
}

nlohmann::json measureCustomizedTextToImage(const ToyModelFiles& files, pipelines::ModelCache& models,
                                            Evaluator& evaluator, CustomizationKind kind, int count,
                                            jobs::JobContext& job) {
  const bool object = kind == CustomizationKind::Object;
  job.beginStage(object ? "figures: object T2I" : "figures: style T2I", count);
  const torch::Tensor references = referenceEmbeddings(evaluator, kind);
  world::SceneFilter filter;
  if (object)
    filter.shapes = {world::Shape::Toy};
  else
    filter.rendering = world::Rendering::Outlined;
  std::vector<torch::Tensor> base, customized;
  for (int i = 0; i < count; ++i) {
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(i), filter);
    worker::GenerateJob g = toyGenerateJob(files, world::caption(scene, false), 300 + i, 1);
    base.push_back(picture(models, g));
    if (object)
      g.models.custom = files.object().string();
    else
      g.models.loras = {{files.styleLora().string(), 1.0f}};
    customized.push_back(picture(models, g));
    job.progress(i + 1);
    job.throwIfCancelled();
  }
  const torch::Tensor simBase = evaluator.images(torch::stack(base)).matmul(references.t()).mean(1);
  const torch::Tensor simCustom = evaluator.images(torch::stack(customized)).matmul(references.t()).mean(1);
  return {{"samples", count},
          {"more_similar_than_base", (simCustom > simBase).to(torch::kFloat32).mean().item<double>()},
          {"similarity_customized", simCustom.mean().item<double>()},
          {"similarity_base", simBase.mean().item<double>()},
          {"target", 0.9}};
}

nlohmann::json measureAdapters(const ToyModelFiles& files, pipelines::ModelCache& models, Evaluator& evaluator,
                               const std::filesystem::path& noMotionAdapter, int count, jobs::JobContext& job) {
  job.beginStage("figures: adapters", count);
  const torch::Tensor references = referenceEmbeddings(evaluator, CustomizationKind::Object);
  double flowA1 = 0, flowA0 = 0, fidNaive = 0, fidStill = 0, flowNaive = 0, flowStill = 0, fidAblation = 0,
         flowAblation = 0;
  world::SceneFilter toy;
  toy.shapes = {world::Shape::Toy};
  for (int i = 0; i < count; ++i) {
    // Frozen-video prompts: the base's pictures, no motion asked for.
    const world::Scene scene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(2000 + i));
    worker::GenerateJob g = toyGenerateJob(files, world::caption(scene, false), 400 + i, kFrames);
    g.models.motionAdapter = files.motionAdapter().string();
    g.request.motionScale = 1.0;
    flowA1 += world::meanFlowMagnitude(generate(models, g));
    g.request.motionScale = 0.0;
    flowA0 += world::meanFlowMagnitude(generate(models, g));

    const world::Scene toyScene = world::sampleScene(world::kTestSeed, static_cast<uint64_t>(3000 + i), toy);
    worker::GenerateJob naive = toyGenerateJob(files, world::caption(toyScene, true), 500 + i, kFrames);
    naive.models.custom = files.object().string();
    const auto naiveClip = generate(models, naive);
    worker::GenerateJob still = naive;
    still.models.spatialAdapters = files.objectSpatialAdapters().string();
    still.models.motionAdapter = files.motionAdapter().string();
    const auto stillClip = generate(models, still);
    fidNaive += meanFidelity(naiveClip, evaluator, references);
    fidStill += meanFidelity(stillClip, evaluator, references);
    flowNaive += world::meanFlowMagnitude(naiveClip);
    flowStill += world::meanFlowMagnitude(stillClip);
    if (!noMotionAdapter.empty()) {
      worker::GenerateJob ablation = naive;
      ablation.models.spatialAdapters = noMotionAdapter.string();
      const auto ablationClip = generate(models, ablation);
      fidAblation += meanFidelity(ablationClip, evaluator, references);
      flowAblation += world::meanFlowMagnitude(ablationClip);
    }
    job.progress(i + 1);
    job.throwIfCancelled();
  }
  const double n = std::max(count, 1);
  nlohmann::json stillMoving{{"videos", count},
                             {"fidelity_naive_injection", fidNaive / n},
                             {"fidelity_still_moving", fidStill / n},
                             {"motion_naive_injection", flowNaive / n},
                             {"motion_still_moving", flowStill / n}};
  if (!noMotionAdapter.empty()) {
    stillMoving["fidelity_no_motion_adapter"] = fidAblation / n;
    stillMoving["motion_no_motion_adapter"] = flowAblation / n;
  }
  return {{"motion_adapter",
           {{"videos", count},
            {"mean_flow_scale_1", flowA1 / n},
            {"mean_flow_scale_0", flowA0 / n},
            {"ratio", flowA1 / std::max(flowA0, 1e-9)},
            {"target_at_most", 0.25}}},
          {"still_moving_object", stillMoving}};
}

}  // namespace sm::toyworld
