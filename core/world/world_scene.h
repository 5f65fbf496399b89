#pragma once
// The toy world: procedural scenes (a coloured shape on a background, moving in
// one of seven ways) drawn with OpenCV, each with an English caption. It is the
// data the embedded toy models learn from and the test bed of the comparison.
// Deterministic: the same (seed, index) draws the same scene on every machine
// (own integer RNG, no std distributions, OpenCV's integer rasteriser).
#include <cstdint>
#include <string>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::world {

/// The six base shapes; Toy is the customized object ("a sks toy"): a striped
/// heart the base models never see.
enum class Shape { Circle, Square, Triangle, Star, Hexagon, Cross, Toy };
enum class Color { Red, Green, Blue, Yellow, Orange, Purple, Cyan, Pink };
enum class Background { Gray, White, Black, Gradient, Checker, Noise };
enum class Motion { SlideLeft, SlideRight, Bounce, Rotate, Grow, Orbit, Fall };
/// Outlined is the customized style ("in sks style"): a thick dark outline
/// around a fill of diagonal stripes.
enum class Rendering { Plain, Outlined };

inline constexpr int kBaseShapes = 6;
inline constexpr int kColors = 8;
inline constexpr int kBackgrounds = 6;
inline constexpr int kMotions = 7;

const std::vector<std::string>& shapeNames();       ///< "circle" ... "cross", "toy"
const std::vector<std::string>& colorNames();       ///< "red" ... "pink"
const std::vector<std::string>& backgroundNames();  ///< "gray" ... "noisy" (as in captions)
const std::vector<std::string>& motionNames();      ///< "sliding left" ... "falling" (as in captions)
/// Every word a caption can contain (for building the toy tokenizer).
std::vector<std::string> vocabularyWords();

struct Scene {
  Shape shape = Shape::Circle;
  Color color = Color::Red;
  Background background = Background::Gray;
  Motion motion = Motion::SlideRight;
  Rendering rendering = Rendering::Plain;
  double x = 0.5, y = 0.5;  ///< start centre, fractions of the picture
  double radius = 0.18;     ///< fraction of the picture
  double angle = 0.0;       ///< start rotation, radians
  double phase = 0.0;       ///< motion phase / direction parameter in [0, 1)
  uint64_t backgroundSeed = 0;
};

/// What a sampler may draw. Empty lists mean "all base values".
struct SceneFilter {
  std::vector<Shape> shapes;
  std::vector<Color> colors;
  std::vector<Background> backgrounds;
  std::vector<Motion> motions;
  Rendering rendering = Rendering::Plain;
};

/// The scene number `index` of the stream `seed`: uniform over the filter's
/// values, with random placement that keeps the shape inside the picture for
/// the whole motion.
Scene sampleScene(uint64_t seed, uint64_t index, const SceneFilter& filter = {});

/// "a red star on a gray background"; with the motion: "a red star bouncing on a
/// gray background". The toy is "a sks toy"; the outlined style appends " in sks style".
std::string caption(const Scene& scene, bool withMotion);

/// Where the shape is at time t in [0, 1] (first to last frame).
struct Pose {
  double x, y, radius, angle;
};
Pose poseAt(const Scene& scene, double t);

/// Frame `frame` of `frames` (t = frame / (frames - 1)), `size` x `size` RGB.
video::Frame drawFrame(const Scene& scene, int frame, int frames, int size);
/// The scene at time t as a still picture.
video::Frame drawImage(const Scene& scene, double t, int size);
/// Where the shape covers the picture at time t: `size` x `size` values from 0
/// (background) to 255 (inside), anti-aliased as drawImage draws it.
std::vector<uint8_t> drawShapeMask(const Scene& scene, double t, int size);
/// All frames, at `fps`.
video::VideoClip drawVideo(const Scene& scene, int frames, int size, double fps = 8.0);

/// Splits of the world: different streams for the base models, the evaluator
/// and tests, so their samples never coincide.
inline constexpr uint64_t kTrainSeed = 1;
inline constexpr uint64_t kEvaluatorSeed = 2;
inline constexpr uint64_t kTestSeed = 3;

}  // namespace sm::world
