#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "core/datasets/dataset_folder.h"
#include "core/toyworld/evaluator.h"
#include "core/toyworld/figures.h"
#include "core/toyworld/report.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/toy_model_files.h"
#include "core/toyworld/world_training.h"
#include "core/training/training_checkpoint.h"
#include "core/util/atomic_file.h"

namespace sm::toyworld {
namespace {

namespace fs = std::filesystem;

std::string fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// A stage's loss per step: its record's, or, for the adapter stages trained by
/// the worker's jobs, the history their training checkpoint keeps.
std::vector<double> stageLosses(const WorldFolder& world, const std::string& stage, const StageRecord& record) {
  const std::string checkpoint = training::checkpointFileIn(world.checkpoint(stage).string());
  if (!record.losses.empty() || !fs::exists(checkpoint)) return record.losses;
  return training::lossHistory(training::loadTrainingCheckpoint(checkpoint));
}

/// How many prompts or videos a figure was measured on.
std::string count(const nlohmann::json& figure, const char* key) { return std::to_string(figure.at(key).get<int>()); }

std::string verdict(bool met) { return met ? "met" : "**missed**"; }

/// models/README.md: what every file is, the figures against their targets,
/// and the training time, so the folder explains itself wherever it is copied.
void writeIndex(const WorldFolder& folder, const ToyModelFiles& files, const nlohmann::json& figures) {
  double seconds = 0;
  std::string stages;
  for (const std::string& name : worldStageNames()) {
    if (!fs::exists(folder.record(name))) continue;
    const StageRecord r = readStageRecord(folder.record(name));
    if (r.steps == 0) continue;  // export, report: no training
    seconds += r.seconds;
    stages += "| " + std::string(name) + " | " + std::to_string(r.steps) + " | " + fixed(r.seconds / 60.0, 1) + " |\n";
  }
  const auto& t2i = figures["base_t2i"];
  const auto& t2v = figures["base_t2v"];
  const auto& obj = figures["object_t2i"];
  const auto& sty = figures["style_t2i"];
  const auto& ma = figures["motion_adapter"];
  const auto& sm = figures["still_moving_object"];
  const double flowRatio = t2v["flow_ratio"];
  const double noMa = sm.value("motion_no_motion_adapter", 0.0);
  std::string controlNetRow;
  if (fs::exists(folder.record("controlnet"))) {
    const nlohmann::json& f = readStageRecord(folder.record("controlnet")).figures;
    const double with = f.value("held_out_loss_with_edges", 0.0), without = f.value("held_out_loss_without", 0.0);
    controlNetRow = "| canny ControlNet: held-out denoising loss with the edges / without | " + fixed(with, 4) + " / " +
                    fixed(without, 4) + " | lower | " + verdict(with < without) + " |\n";
  }
  std::string doc =
      "# The toy world's models\n\n"
      "Every model here was trained from nothing by the project's own C++ (`stillmoving world train`) on the "
      "procedural world of `core/world`; nothing was downloaded. Training took " +
      fixed(seconds / 60.0, 0) +
      " min on 2 CPU cores. Each model has a card in [cards/](cards) with its data, steps, time, seed and loss "
      "curve.\n\n"
      "| file | what | format |\n|---|---|---|\n"
      "| `base/` | the T2I: UNet (SD 1.5 architecture, smaller widths), CLIP text encoder, tokenizer, VAE, DDIM "
      "scheduler | diffusers pipeline folder, fp16 |\n"
      "| `base.safetensors` | the same T2I in one file | LDM single file (original SD naming), fp16 |\n"
      "| `motion_module/` | AnimateDiff v3-layout motion modules | diffusers MotionAdapter folder, fp16 |\n"
      "| `toy_object.safetensors` | \"a sks toy\": DreamBooth full UNet fine-tune | LDM naming, UNet only (VAE and "
      "text encoder are the base's), fp16 |\n"
      "| `sks_style_lora.safetensors` | \"in sks style\": LoRA, rank 8 | kohya naming |\n"
      "| `motion_adapter.safetensors` | Still-Moving's Motion Adapter for base + motion module | Still-Moving |\n"
      "| `spatial_adapters_object.safetensors`, `spatial_adapters_style.safetensors` | Still-Moving's Spatial "
      "Adapters for each customization | Still-Moving |\n"
      "| `controlnet_canny/` | a canny ControlNet for the base (trained by `world train`'s controlnet stage) | "
      "diffusers ControlNetModel folder, fp16 |\n"
      "| `evaluator/` | CLIP-style image/text model for the metrics (own split, own text tower) | safetensors + "
      "tokenizer |\n"
      "| `references/` | the five pictures each customization was trained from | PNG + caption |\n\n"
      "## Quality (measured on these files by the report stage)\n\n"
      "| figure | measured | target | |\n|---|---|---|---|\n"
      "| base T2I: prompt's shape and colour recognised by the evaluator (" +
      count(t2i, "prompts") + " prompts) | " + fixed(t2i["shape_and_color_recognised"]) + " | >= 0.8 (chance " +
      fixed(t2i["chance"]) + ") | " + verdict(t2i["shape_and_color_recognised"] >= 0.8) +
      " |\n"
      "| base T2V: prompt's motion recognised by optical flow (" +
      count(t2v, "videos") + " videos) | " + fixed(t2v["motion_recognised"]) + " | >= 0.5 (chance " +
      fixed(t2v["chance"]) + ") | " + verdict(t2v["motion_recognised"] >= 0.5) +
      " |\n"
      "| base T2V: mean flow / the world's own videos | " +
      fixed(flowRatio) + " | 0.5 - 2 | " + verdict(flowRatio >= 0.5 && flowRatio <= 2.0) +
      " |\n"
      "| object T2I more similar to its references than the base (" +
      count(obj, "samples") + " prompts) | " + fixed(obj["more_similar_than_base"]) + " | >= 0.9 | " +
      verdict(obj["more_similar_than_base"] >= 0.9) +
      " |\n"
      "| style T2I more similar to its references than the base (" +
      count(sty, "samples") + " prompts) | " + fixed(sty["more_similar_than_base"]) + " | >= 0.9 | " +
      verdict(sty["more_similar_than_base"] >= 0.9) +
      " |\n"
      "| Motion Adapter: flow at a = 1 / a = 0 on frozen-video prompts (" +
      count(ma, "videos") + " videos) | " + fixed(ma["ratio"]) + " | <= 0.25 | " + verdict(ma["ratio"] <= 0.25) +
      " |\n"
      "| Still-Moving (object) vs naive injection: fidelity to the references | " +
      fixed(sm["fidelity_still_moving"]) + " vs " + fixed(sm["fidelity_naive_injection"]) + " | higher | " +
      verdict(sm["fidelity_still_moving"] > sm["fidelity_naive_injection"]) +
      " |\n"
      "| Still-Moving (object) vs Spatial Adapters trained without the Motion Adapter: motion, px/frame | " +
      fixed(sm["motion_still_moving"]) + " vs " + fixed(noMa) + " | higher | " +
      verdict(sm["motion_still_moving"].get<double>() > noMa) + " |\n" + controlNetRow +
      "\n"
      "## Training stages\n\n| stage | steps | minutes |\n|---|---|---|\n" +
      stages +
      "\nRetrain everything: `stillmoving world train --out DIR` (resumable: run it again to continue), then "
      "copy `DIR/models/` here or point `SM_TOYWORLD` at it.\n";
  util::writeFileAtomically((files.root / "README.md").string(), doc);
}

}  // namespace

void writeCard(const std::filesystem::path& folder, const std::string& name, const std::string& what,
               const StageRecord& record, const std::string& figures) {
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

video::Frame lossCurve(const std::vector<double>& losses, const std::string& title) {
  // Hard-edged lines and text (no antialiasing): a few colours compress to a few
  // kilobytes, where antialiased curves took 35 KB each of the world's 30 MB.
  const int w = 480, h = 240, pad = 30;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(img, title, cv::Point(pad, 18), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(20, 20, 20), 1, cv::LINE_8);
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
      cv::line(img, point(i - 1, losses[i - 1]), point(i, losses[i]), cv::Scalar(190, 200, 235), 1, cv::LINE_8);
    for (size_t i = 1; i < smooth.size(); ++i)
      cv::line(img, point(i - 1, smooth[i - 1]), point(i, smooth[i]), cv::Scalar(200, 60, 40), 2, cv::LINE_8);
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
  pipelines::ModelCache& models = *options.models;
  // The sample sizes; a shortened run (step scale < 1) measures on fewer.
  const auto samples = [&](int n) {
    return static_cast<int>(std::max<int64_t>(1, std::llround(n * std::min(1.0, options.stepScale))));
  };
  nlohmann::json figures;
  figures["base_t2i"] = measureBaseTextToImage(files, models, evaluator, samples(64), job);
  figures["base_t2v"] = measureBaseTextToVideo(files, models, samples(48), job);
  figures["object_t2i"] =
      measureCustomizedTextToImage(files, models, evaluator, CustomizationKind::Object, samples(32), job);
  figures["style_t2i"] =
      measureCustomizedTextToImage(files, models, evaluator, CustomizationKind::Style, samples(32), job);
  const nlohmann::json a = measureAdapters(files, models, evaluator, noMotionAdapterAblation(folder), samples(8), job);
  figures["motion_adapter"] = a["motion_adapter"];
  figures["still_moving_object"] = a["still_moving_object"];
  job.info("figures: " + figures.dump());

  const fs::path cards = files.root / "cards";
  auto rec = [&](const std::string& s) {
    StageRecord r = readStageRecord(folder.record(s));
    r.losses = stageLosses(folder, s, r);
    return r;
  };
  const auto& t2i = figures["base_t2i"];
  const auto& t2v = figures["base_t2v"];
  const auto& obj = figures["object_t2i"];
  const auto& sty = figures["style_t2i"];
  const auto customized = [&](const nlohmann::json& f) {
    return "- share of " + count(f, "samples") +
           " prompts whose picture is more similar to the references than the base's (same prompt "
           "and seed): " +
           fixed(f["more_similar_than_base"]) + " (target 0.9); mean similarity " + fixed(f["similarity_customized"]) +
           " vs base " + fixed(f["similarity_base"]) + "\n";
  };
  const auto& ma = figures["motion_adapter"];
  const auto& sm = figures["still_moving_object"];
  writeCard(cards, "vae",
            "AutoencoderKL (block_out_channels 64x3, 1 layer per block, 4 latent channels, 4 pixels per latent) "
            "trained on world pictures (seed 1) with L1 + L2 reconstruction, shape pixels weighted 7x, and a 1e-5 KL "
            "term; latents rescaled so SD's scaling factor 0.18215 gives them unit variance.",
            rec("vae"),
            "- held-out PSNR: " + fixed(rec("vae").figures.value("heldout_psnr", 0.0), 2) +
                " dB, on the shapes' pixels " + fixed(rec("vae").figures.value("heldout_shape_psnr", 0.0), 2) +
                " dB\n");
  writeCard(cards, "t2i",
            "The T2I UNet (SD 1.5 architecture: 64-wide blocks, 1 layer per block, 8 heads, context 128) "
            "and its CLIP text encoder (3 layers, width 128), trained together from nothing on captioned world "
            "pictures (seed 1), 10% of captions dropped.",
            rec("t2i"),
            "- shape and colour recognised by the evaluator (" + count(t2i, "prompts") +
                " prompts): " + fixed(t2i["shape_and_color_recognised"]) + " (target 0.8; chance " +
                fixed(t2i["chance"]) + ")\n- shape alone: " + fixed(t2i["shape_recognised"]) +
                ", colour alone: " + fixed(t2i["color_recognised"]) +
                "\n- the same classification of the world's own pictures of these prompts (the evaluator's "
                "ceiling): " +
                fixed(t2i.value("world_pictures_recognised", 0.0)) + "\n");
  writeCard(cards, "motion_module",
            "AnimateDiff v3-layout motion modules trained on captioned world videos "
            "(16 frames) with the T2I and text encoder frozen, as AnimateDiff does, but with the loss weighted by "
            "clamp(1/SNR, 1, " +
                fixed(kHighNoiseWeightCap, 0) +
                ") (the x0 loss at high noise, where whether the frames show one scene is decided; with the plain "
                "loss the first run's frames each had their own background).",
            rec("motion"),
            "- motion named in the prompt recognised by optical flow (" + count(t2v, "videos") +
                " videos): " + fixed(t2v["motion_recognised"]) + " (target 0.5; chance " + fixed(t2v["chance"]) +
                ")\n- mean flow: " + fixed(t2v["mean_flow_model"]) + " px/frame vs the world's " +
                fixed(t2v["mean_flow_world"]) + " (ratio " + fixed(t2v["flow_ratio"]) + ", target within 0.5-2)\n");
  writeCard(cards, "evaluator",
            "CLIP-style image/text model (4-level conv image tower of widths 32-96, 64-d embeddings, 2-layer "
            "text tower of its own) trained contrastively on the evaluator's split (seed 2), toy and style pictures "
            "included.",
            rec("evaluator"), "");
  writeCard(cards, "toy_object",
            "DreamBooth-style full UNet fine-tune on five pictures of \"a sks toy\" (a "
            "striped heart), half of every batch world pictures for prior preservation.",
            rec("object"), customized(obj));
  writeCard(cards, "sks_style_lora",
            "LoRA (rank 8, kohya naming) on every spatial attention projection, trained "
            "on five pictures \"in sks style\" (striped fill, dark outline) with prior preservation.",
            rec("style"), customized(sty));
  writeCard(cards, "motion_adapter",
            "Still-Moving's Motion Adapter (rank " + std::to_string(kAdapterRank) +
                ") trained at a = 1 on frozen videos of the base T2I's own pictures, with --high-noise-weight " +
                fixed(kHighNoiseWeightCap, 0) + " (as the motion modules).",
            rec("motion_adapter"),
            "- mean flow at a = 1 / a = 0 (" + count(ma, "videos") + " videos): " + fixed(ma["mean_flow_scale_1"]) +
                " / " + fixed(ma["mean_flow_scale_0"]) + " = " + fixed(ma["ratio"]) + " (target at most 0.25)\n");
  writeCard(cards, "spatial_adapters_object",
            "Spatial Adapters (rank " + std::to_string(kAdapterRank) +
                ") for the object, trained through the video model on its frozen videos (Motion Adapter at a = 1) "
                "and 40 world videos (a = 0).",
            rec("spatial_object"),
            "- fidelity to the references (" + count(sm, "videos") + " videos), Still-Moving " +
                fixed(sm["fidelity_still_moving"]) + " vs naive injection " + fixed(sm["fidelity_naive_injection"]) +
                " (target: higher)\n" + "- motion, px/frame: Still-Moving " + fixed(sm["motion_still_moving"]) +
                " vs naive injection " + fixed(sm["motion_naive_injection"]) +
                " vs Spatial Adapters trained without the Motion Adapter " +
                fixed(sm.value("motion_no_motion_adapter", 0.0)) + " (target: more than the last)\n");
  writeCard(cards, "spatial_adapters_style", "Spatial Adapters for the style LoRA, trained as for the object.",
            rec("spatial_style"), "");
  writeIndex(folder, files, figures);
  util::writeFileAtomically(folder.record("report").string(),
                            nlohmann::json{{"stage", "report"}, {"figures", figures}}.dump(1) + "\n");
}

}  // namespace sm::toyworld
