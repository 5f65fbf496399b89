#pragma once
// One ControlNet of a generation and the driving video that steers it: what a
// `--controlnet` group of the CLI and a ControlNet section of the Studio hold.
// LibTorch-free, so that the CLI, the Studio and the worker's job share it.
#include <string>
#include <string_view>
#include <vector>

namespace sm::control {

/// How a driving video's frames become the ControlNet's condition frames (preprocessors.h).
enum class ControlType {
  Canny,     ///< OpenCV Canny edges, white on black
  SoftEdge,  ///< soft edges: blurred gradient magnitude (an OpenCV stand-in for HED / PiDiNet)
  Gray,      ///< luminance in all three channels
  Raw,       ///< the frames as they are: a video that already holds condition frames (depth, pose...)
};

/// "canny", "softedge", "gray", "raw".
std::string_view controlTypeName(ControlType type);
/// The names above, in that order (the settings table's choices for --control-type).
const std::vector<std::string>& controlTypeNames();
/// Throws ConfigError listing the types for an unknown name.
ControlType parseControlType(std::string_view name);

struct Preprocessor {
  ControlType type = ControlType::Canny;
  /// Canny's hysteresis thresholds on 8-bit gradients (low < high).
  double low = 100;
  double high = 200;
};

struct ControlNetUnit {
  /// A ControlNet: a diffusers folder or an original-naming single file.
  std::string controlNet;
  /// The driving video: any file the video reader decodes, or a folder of images.
  std::string video;
  Preprocessor preprocessor;
  /// The residuals' multiplier; 0 leaves the generation exactly as without this ControlNet.
  double scale = 1.0;
  /// Fractions of the sampling steps the ControlNet acts in (diffusers' control_guidance_start/end).
  double start = 0.0;
  double end = 1.0;
  /// Take every stride-th source frame (1: every frame, no resampling by frame rate).
  int stride = 1;
  /// A video shorter than the generation repeats from its first frame (else an error).
  bool loop = false;
  /// Where to write the condition frames as a video ("" for none).
  std::string preview;

  /// Throws ConfigError naming the first setting out of range (the settings table's ranges).
  void validate() const;
};

/// Whether the ControlNet acts at sampling step `step` of `steps` (0-based): not when
/// step/steps < start or (step+1)/steps > end, as diffusers decides.
bool actsAtStep(double start, double end, int step, int steps);

}  // namespace sm::control
