#pragma once
// `stillmoving demo`: Still-Moving shown working on the shipped toy world.
// One customization (the DreamBooth object) is put into the toy video model by
// naive injection, by weight interpolation and by Still-Moving at motion scales
// -1, 0 and 1, next to the base video model; each video is scored with the
// evaluator (fidelity to the references, adherence to the prompt) and optical
// flow (motion), and the whole is written as MP4s, one contact sheet and a
// results table (Markdown and JSON). When the toy world has a ControlNet, a
// world video's canny edges also drive Still-Moving (the paper's Figure 5).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/toyworld/toy_model_files.h"

namespace sm::pipelines {
class ModelCache;
}

namespace sm::toyworld {

struct DemoRequest {
  std::filesystem::path out = "stillmoving-demo";
  /// The toy world's models; none: the shipped one (shippedToyWorld()).
  std::optional<ToyModelFiles> models;
  /// Rebuild the object's frozen dataset and retrain its Spatial Adapters first (into out/training).
  bool train = false;
  int trainSteps = 150;
  std::string prompt = "a sks toy sliding right on a white background";
  int frames = 16;
  int size = 64;
  int steps = 20;
  double guidance = 5.0;
  double interpolation = 0.5;
  uint64_t seed = 11;
  /// With a ControlNet in the toy world: a world video's canny edges drive
  /// Still-Moving (a = 0) with `controlPrompt`, beside the same without them.
  bool controlNet = true;
  std::string controlPrompt = "a sks toy on a white background";
};

struct DemoRow {
  std::string method;  ///< "base", "naive_injection", "interpolation", "still_moving"
  std::string label;   ///< as shown on the contact sheet
  double motionScale = 0;
  std::string video;     ///< file name in out/
  double fidelity = 0;   ///< evaluator cosine to the reference pictures (CLIP-I-like)
  double adherence = 0;  ///< evaluator cosine to the prompt (CLIP-T-like)
  double motion = 0;     ///< mean optical-flow magnitude, px/frame
  /// ControlNet rows: control::edgeAgreement with the driving video's canny edges (else unset).
  std::optional<double> edgeAgreement;
};

struct DemoResult {
  std::vector<DemoRow> rows;
  std::filesystem::path contactSheet, markdown, json;
  /// With a ControlNet: source | condition | output as one picture per frame row (README figure).
  std::filesystem::path controlSheet;
  double seconds = 0;
};

/// Throws ConfigError when no toy world is found (naming where it looked), and
/// what the worker's jobs throw.
DemoResult runDemo(const DemoRequest& request, pipelines::ModelCache& models, jobs::JobContext& job);

}  // namespace sm::toyworld
