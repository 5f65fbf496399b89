#include "core/toyworld/demo.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/control/edge_agreement.h"
#include "core/datasets/dataset_folder.h"
#include "core/figures/labelled_sheet.h"
#include "core/io/json_file.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/stages.h"
#include "core/toyworld/world_batches.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"
#include "core/video/video_writer.h"
#include "core/worker/jobs.h"
#include "core/world/motion_metrics.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

torch::Tensor clipPixels(const video::VideoClip& clip) { return clipToTensor(clip); }

torch::Tensor referencePixels(const ToyModelFiles& files) {
  std::vector<torch::Tensor> out;
  for (const auto& path : datasets::listImages(files.references("object").string())) {
    // The references are PNGs written by the export stage; read them back through FFmpeg's reader.
    out.push_back(clipToTensor(video::readVideo(path)).squeeze(0));
  }
  if (out.empty()) throw ConfigError(files.references("object").string() + ": no reference pictures");
  return torch::stack(out);
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

DemoResult runDemo(const DemoRequest& request, pipelines::ModelCache& cache, jobs::JobContext& job) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<ToyModelFiles> found = request.models ? request.models : shippedToyWorld();
  if (!found)
    throw ConfigError(
        "no toy world found: set SM_TOYWORLD to a folder made by `stillmoving world train` "
        "(its models/ folder), or run from the source tree (resources/toyworld)");
  const ToyModelFiles files = *found;
  fs::create_directories(request.out);

  std::string spatialAdapters = files.objectSpatialAdapters().string();
  if (request.train) {
    job.info("demo: training the object's Spatial Adapters (--train)");
    const fs::path work = request.out / "training";
    SpatialAdapterRun run{files,
                          work,
                          CustomizationKind::Object,
                          request.trainSteps,
                          work / "spatial_adapters_object.safetensors",
                          work / "checkpoints"};
    spatialAdapters = trainToySpatialAdapters(run, cache, job).output;
  }

  pipelines::ModelSet base;
  base.base = files.base().string();
  base.motionModule = files.motionModule().string();
  base.tokenizer = files.tokenizer().string();
  pipelines::ModelSet naive = base;
  naive.custom = files.object().string();
  pipelines::ModelSet interpolation = naive;
  interpolation.interpolation = static_cast<float>(request.interpolation);
  pipelines::ModelSet stillMoving = naive;
  stillMoving.spatialAdapters = spatialAdapters;
  stillMoving.motionAdapter = files.motionAdapter().string();

  struct Method {
    std::string method, label, file;
    pipelines::ModelSet models;
    double motionScale;
  };
  const std::vector<Method> methods{
      {"base", "base T2V", "base.mp4", base, 0.0},
      {"naive_injection", "naive injection", "naive_injection.mp4", naive, 0.0},
      {"interpolation", "interpolation l=" + fixed(request.interpolation, 1), "interpolation.mp4", interpolation, 0.0},
      {"still_moving", "Still-Moving a=-1", "still_moving_a-1.mp4", stillMoving, -1.0},
      {"still_moving", "Still-Moving a=0", "still_moving_a0.mp4", stillMoving, 0.0},
      {"still_moving", "Still-Moving a=1", "still_moving_a1.mp4", stillMoving, 1.0},
  };

  Evaluator evaluator = loadEvaluator(files.evaluator());
  const torch::Tensor references = evaluator.images(referencePixels(files));
  const torch::Tensor promptEmbedding = evaluator.texts({request.prompt});

  // Every demo video has the request's size, steps, guidance and seed, in fp32.
  auto generate = [&](const pipelines::ModelSet& models, const std::string& prompt, double motionScale,
                      const std::vector<control::ControlNetUnit>& controlNets) {
    worker::GenerateJob g;
    g.models = models;
    g.dtype = "fp32";
    g.request.prompt = prompt;
    g.request.frames = request.frames;
    g.request.width = g.request.height = request.size;
    g.request.steps = request.steps;
    g.request.guidance = request.guidance;
    g.request.seed = request.seed;
    g.request.motionScale = motionScale;
    g.controlNets = controlNets;
    return worker::runGenerate(cache, g, job);
  };
  // A row's figures: fidelity to the references, adherence to the prompt's embedding, motion.
  auto score = [&](DemoRow& row, const video::VideoClip& clip, const torch::Tensor& prompt) {
    const torch::Tensor frames = evaluator.images(clipPixels(clip));
    row.fidelity = frames.matmul(references.t()).mean().item<double>();
    row.adherence = frames.matmul(prompt.t()).mean().item<double>();
    row.motion = world::meanFlowMagnitude(clip);
  };

  DemoResult result;
  std::vector<figures::LabelledRow> sheetRows;
  for (const Method& m : methods) {
    job.info("demo: " + m.label);
    const worker::GeneratedVideos videos = generate(m.models, request.prompt, m.motionScale, {});
    const video::VideoClip& clip = videos.clips.front();
    video::writeVideo((request.out / m.file).string(), clip);
    DemoRow row;
    row.method = m.method;
    row.label = m.label;
    row.motionScale = m.motionScale;
    row.video = m.file;
    score(row, clip, promptEmbedding);
    result.rows.push_back(row);
    sheetRows.push_back({m.label, clip});
  }

  result.contactSheet = request.out / "contact_sheet.png";
  datasets::writePng(result.contactSheet.string(), figures::labelledSheet(sheetRows));

  if (request.controlNet && fs::exists(files.controlNet())) {
    // A world video the models never saw as such: its canny edges drive the customized model.
    world::SceneFilter filter;
    filter.shapes = {world::Shape::Square};
    filter.colors = {world::Color::Blue};
    filter.backgrounds = {world::Background::White};
    filter.motions = {world::Motion::Bounce};
    const world::Scene scene = world::sampleScene(77, 0, filter);
    const fs::path driving = request.out / "driving_video.mp4";
    video::writeVideo(driving.string(), world::drawVideo(scene, request.frames, request.size));
    control::ControlNetUnit unit;
    unit.controlNet = files.controlNet().string();
    unit.video = driving.string();
    std::vector<figures::LabelledRow> controlRows;
    video::VideoClip condition;
    std::vector<video::VideoClip> outputs;  // without, with the ControlNet
    const torch::Tensor controlPromptEmbedding = evaluator.texts({request.controlPrompt});
    for (const bool withControl : {false, true}) {
      job.info(std::string("demo: Still-Moving a=0 ") + (withControl ? "with" : "without") + " the ControlNet");
      const worker::GeneratedVideos videos =
          generate(stillMoving, request.controlPrompt, 0.0,
                   withControl ? std::vector<control::ControlNetUnit>{unit} : std::vector<control::ControlNetUnit>{});
      if (withControl) {
        condition = videos.control.front().condition;
        controlRows.insert(controlRows.begin(),
                           {{"driving video", videos.control.front().source}, {"canny edges", condition}});
      }
      const video::VideoClip& clip = videos.clips.front();
      DemoRow row;
      row.method = withControl ? "still_moving_controlnet" : "still_moving_no_controlnet";
      row.label = withControl ? "Still-Moving + ControlNet" : "Still-Moving, no ControlNet";
      row.video = withControl ? "still_moving_controlnet.mp4" : "still_moving_no_controlnet.mp4";
      video::writeVideo((request.out / row.video).string(), clip);
      score(row, clip, controlPromptEmbedding);
      result.rows.push_back(row);
      controlRows.push_back({row.label, clip});
      outputs.push_back(clip);
    }
    // Both rows against the same edges: what the ControlNet adds is the difference.
    for (size_t k = 0; k < outputs.size(); ++k)
      result.rows[result.rows.size() - outputs.size() + k].edgeAgreement =
          control::edgeAgreement(condition, outputs[k]);
    result.controlSheet = request.out / "controlnet_sheet.png";
    datasets::writePng(result.controlSheet.string(), figures::labelledSheet(controlRows));
  }
  nlohmann::json rows = nlohmann::json::array();
  std::string md =
      "| method | motion scale | fidelity (CLIP-I) | adherence (CLIP-T) | motion (px/frame) | video |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& r : result.rows) {
    nlohmann::json row{{"method", r.method}, {"label", r.label},       {"motion_scale", r.motionScale},
                       {"video", r.video},   {"fidelity", r.fidelity}, {"adherence", r.adherence},
                       {"motion", r.motion}};
    if (r.edgeAgreement) row["edge_agreement"] = *r.edgeAgreement;
    rows.push_back(row);
    md += "| " + r.label + " | " + (r.method == "still_moving" ? fixed(r.motionScale, 0) : "-") + " | " +
          fixed(r.fidelity, 3) + " | " + fixed(r.adherence, 3) + " | " + fixed(r.motion, 3) + " | " + r.video + " |\n";
  }
  for (const auto& r : result.rows)
    if (r.edgeAgreement)
      md += "\n" + r.label + ": edge agreement with the driving video's canny edges " + fixed(*r.edgeAgreement, 3) +
            " (prompt \"" + request.controlPrompt + "\")";
  if (!result.controlSheet.empty()) md += "\n";
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json doc{{"prompt", request.prompt},
                           {"seed", request.seed},
                           {"frames", request.frames},
                           {"size", request.size},
                           {"steps", request.steps},
                           {"guidance", request.guidance},
                           {"trained_spatial_adapters", request.train},
                           {"seconds", result.seconds},
                           {"rows", rows}};
  result.json = request.out / "results.json";
  result.markdown = request.out / "results.md";
  util::writeFileAtomically(result.json.string(), io::dumpJson(doc, 2) + "\n");
  util::writeFileAtomically(result.markdown.string(),
                            "Prompt: \"" + request.prompt + "\", seed " + std::to_string(request.seed) + "\n\n" + md);
  return result;
}

}  // namespace sm::toyworld
