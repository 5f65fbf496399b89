#pragma once
// `stillmoving compare --config FILE`: which methods the paper's comparison
// runs on a toy world, on which prompts and seeds, and how each video is made.
// Every field has a default small enough for 2 CPU cores; the JSON file names
// only what it changes, and a key the config does not know is an error (a typo
// must not silently run the defaults).
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/toyworld/customizations.h"

namespace sm::comparison {

/// The methods of the paper's comparison (section 5) and its ablations.
enum class Method {
  Base,               ///< the base T2V, no customization: the motion to keep
  NaiveInjection,     ///< the customized spatial weights put into the T2V as they are
  Interpolation,      ///< base and customized spatial weights blended (lambda)
  Interleaved,        ///< the baseline: all spatial weights fine-tuned on frozen videos interleaved with natural videos
  StillMoving,        ///< Spatial Adapters trained with the Motion Adapter, a prior, at the motion scales
  NoMotionAdapter,    ///< ablation: Spatial Adapters trained without the Motion Adapter
  AllSpatialWeights,  ///< ablation: all spatial weights trained instead of Spatial Adapters (Motion Adapter kept)
  NoPrior,            ///< ablation: Spatial Adapters trained without prior preservation
};

struct MethodInfo {
  Method method;
  const char* id;     ///< as in the config and the JSON ("still_moving")
  const char* label;  ///< as in the tables and the contact sheets
  /// Whether the comparison trains it (its adapters or weights) before generating.
  bool trained;
};
/// Every method, in the order of the tables.
const std::vector<MethodInfo>& methodTable();
const MethodInfo& methodInfo(Method method);

struct ComparisonPrompt {
  std::string prompt;  ///< what the video model is asked
  /// What CLIP-T scores the frames against (the toy evaluator was trained on
  /// captions without motion words, so the default prompts drop them here).
  std::string evaluationPrompt;
};

struct CustomizationPlan {
  toyworld::CustomizationKind kind = toyworld::CustomizationKind::Object;
  std::vector<ComparisonPrompt> prompts;
};

std::string customizationId(toyworld::CustomizationKind kind);  ///< "object" | "style"

struct ComparisonConfig {
  /// A toy world's models folder; empty: the shipped one.
  std::filesystem::path models;
  std::vector<CustomizationPlan> customizations;
  std::vector<Method> methods;
  std::vector<uint64_t> seeds{1, 2};
  /// Still-Moving is generated at each (a = 0 is the method's own row: the
  /// Motion Adapter removed at inference, as in the paper).
  std::vector<double> motionScales{-1.0, -0.5, 0.0, 0.5, 1.0};
  int frames = 16;
  int size = 64;
  int steps = 20;
  double guidance = 5.0;
  double interpolation = 0.5;
  /// Optimizer steps of every trained method (the shipped world's adapters: 150).
  int trainSteps = 150;
  /// "toy" (the models folder's evaluator), a toy evaluator file or a CLIPModel folder.
  std::string evaluator = "toy";
  /// A Markdown file appended to the results document as its discussion; empty: none.
  std::filesystem::path notes;

  /// The defaults: both customizations, every method, `promptsPerCustomization` world prompts each.
  static ComparisonConfig defaults(int promptsPerCustomization = 3);
  /// Reads a config object; relative paths are taken from `baseDir`. Throws
  /// ConfigError naming `source`, the key and what is allowed.
  static ComparisonConfig fromJson(const nlohmann::json& json, const std::string& source,
                                   const std::filesystem::path& baseDir);
  static ComparisonConfig fromFile(const std::filesystem::path& file);
  /// Everything that decides the videos (written beside the results; compared on resume).
  nlohmann::json toJson() const;
};

/// `count` prompts of the customization drawn from the world (seeded: always the
/// same), each with a motion: "a sks toy bouncing on a gray background".
std::vector<ComparisonPrompt> defaultPrompts(toyworld::CustomizationKind kind, int count);

}  // namespace sm::comparison
