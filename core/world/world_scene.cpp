#include "core/world/world_scene.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace sm::world {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Drawn this many times larger, then averaged down: smooth edges, integer rasteriser.
constexpr int kSupersample = 4;

/// splitmix64: a small, portable generator (std:: distributions differ between libraries).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t index) : state_(seed * 0x9E3779B97F4A7C15ULL ^ (index + 0x632BE59BD9B4E019ULL)) {
    next();
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }

 private:
  uint64_t state_;
};

template <typename T>
T pick(Rng& rng, const std::vector<T>& chosen, int count) {
  if (!chosen.empty()) return chosen[rng.below(chosen.size())];
  return static_cast<T>(rng.below(static_cast<size_t>(count)));
}

cv::Scalar rgbOf(Color color) {
  switch (color) {
    case Color::Red: return {220, 40, 40};
    case Color::Green: return {40, 180, 60};
    case Color::Blue: return {40, 80, 230};
    case Color::Yellow: return {240, 220, 40};
    case Color::Orange: return {245, 140, 30};
    case Color::Purple: return {140, 50, 200};
    case Color::Cyan: return {40, 210, 220};
    case Color::Pink: return {250, 130, 190};
  }
  return {};
}

/// Outline of the shape around (0, 0) with radius 1, rotated by `angle`.
std::vector<cv::Point2d> outline(Shape shape, double angle) {
  std::vector<cv::Point2d> unit;
  auto polygon = [&](int corners, double start) {
    for (int i = 0; i < corners; ++i) {
      const double a = start + 2 * kPi * i / corners;
      unit.emplace_back(std::cos(a), std::sin(a));
    }
  };
  switch (shape) {
    case Shape::Circle: polygon(64, 0); break;
    case Shape::Square: polygon(4, kPi / 4); break;
    case Shape::Triangle:
      polygon(3, -kPi / 2);
      for (auto& p : unit) p.y += 0.2;  // centre the triangle's area, not its circumcircle
      break;
    case Shape::Hexagon: polygon(6, 0); break;
    case Shape::Star:
      for (int i = 0; i < 10; ++i) {
        const double a = -kPi / 2 + kPi * i / 5;
        const double r = i % 2 == 0 ? 1.0 : 0.42;
        unit.emplace_back(r * std::cos(a), r * std::sin(a));
      }
      break;
    case Shape::Cross: {
      const double w = 0.36;
      const double pts[12][2] = {{-w, -1}, {w, -1}, {w, -w}, {1, -w}, {1, w},   {w, w},
                                 {w, 1},   {-w, 1}, {-w, w}, {-1, w}, {-1, -w}, {-w, -w}};
      for (const auto& p : pts) unit.emplace_back(p[0], p[1]);
      break;
    }
    case Shape::Toy:
      // A heart: the classic parametric curve, scaled into the unit circle.
      for (int i = 0; i < 64; ++i) {
        const double s = 2 * kPi * i / 64;
        const double hx = 16 * std::pow(std::sin(s), 3);
        const double hy = 13 * std::cos(s) - 5 * std::cos(2 * s) - 2 * std::cos(3 * s) - std::cos(4 * s);
        unit.emplace_back(hx / 17.0, -(hy + 2.5) / 17.0);
      }
      break;
  }
  const double c = std::cos(angle), s = std::sin(angle);
  for (auto& p : unit) p = {p.x * c - p.y * s, p.x * s + p.y * c};
  return unit;
}

void drawBackground(cv::Mat& canvas, const Scene& scene) {
  const int n = canvas.rows;
  Rng rng(scene.backgroundSeed, 7);
  switch (scene.background) {
    case Background::Gray: canvas.setTo(cv::Scalar(128, 128, 128)); break;
    case Background::White: canvas.setTo(cv::Scalar(235, 235, 235)); break;
    case Background::Black: canvas.setTo(cv::Scalar(25, 25, 25)); break;
    case Background::Gradient: {
      cv::Vec3d a(rng.uniform(30, 200), rng.uniform(30, 200), rng.uniform(30, 200));
      cv::Vec3d b(rng.uniform(30, 200), rng.uniform(30, 200), rng.uniform(30, 200));
      const bool vertical = rng.below(2) == 0;
      for (int r = 0; r < n; ++r)
        for (int col = 0; col < n; ++col) {
          const double t = static_cast<double>(vertical ? r : col) / (n - 1);
          const cv::Vec3d v = a * (1 - t) + b * t;
          canvas.at<cv::Vec3b>(r, col) =
              cv::Vec3b(cv::saturate_cast<uchar>(v[0]), cv::saturate_cast<uchar>(v[1]), cv::saturate_cast<uchar>(v[2]));
        }
      break;
    }
    case Background::Checker: {
      const int cell = n / 8;
      for (int r = 0; r < n; ++r)
        for (int col = 0; col < n; ++col) {
          const bool light = ((r / cell) + (col / cell)) % 2 == 0;
          canvas.at<cv::Vec3b>(r, col) = light ? cv::Vec3b(200, 200, 200) : cv::Vec3b(90, 90, 90);
        }
      break;
    }
    case Background::Noise: {
      // Coloured blotches: 8x8 random cells, smoothly upsampled.
      cv::Mat cells(8, 8, CV_8UC3);
      for (int r = 0; r < 8; ++r)
        for (int col = 0; col < 8; ++col)
          cells.at<cv::Vec3b>(r, col) =
              cv::Vec3b(static_cast<uchar>(rng.uniform(40, 215)), static_cast<uchar>(rng.uniform(40, 215)),
                        static_cast<uchar>(rng.uniform(40, 215)));
      cv::resize(cells, canvas, canvas.size(), 0, 0, cv::INTER_LINEAR);
      break;
    }
  }
}

std::vector<cv::Point> toPixels(const std::vector<cv::Point2d>& unit, const Pose& pose, int size) {
  std::vector<cv::Point> out;
  out.reserve(unit.size());
  for (const auto& p : unit)
    out.emplace_back(static_cast<int>(std::lround((pose.x + p.x * pose.radius) * size)),
                     static_cast<int>(std::lround((pose.y + p.y * pose.radius) * size)));
  return out;
}

/// The shape's pixels as a mask on the canvas.
cv::Mat shapeMask(const Scene& scene, const Pose& pose, int size) {
  cv::Mat mask = cv::Mat::zeros(size, size, CV_8UC1);
  const std::vector<cv::Point> pts = toPixels(outline(scene.shape, pose.angle), pose, size);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(255), cv::LINE_8);
  return mask;
}

void drawShape(cv::Mat& canvas, const Scene& scene, const Pose& pose) {
  const int n = canvas.rows;
  const cv::Mat mask = shapeMask(scene, pose, n);
  if (scene.shape == Shape::Toy) {
    // Horizontal magenta / yellow stripes that turn with the toy.
    const double c = std::cos(pose.angle), s = std::sin(pose.angle);
    const double stripe = pose.radius * n / 3.0;
    for (int r = 0; r < n; ++r)
      for (int col = 0; col < n; ++col) {
        if (!mask.at<uchar>(r, col)) continue;
        const double dx = col - pose.x * n, dy = r - pose.y * n;
        const double v = -dx * s + dy * c;
        const bool band = static_cast<int>(std::floor(v / stripe)) % 2 == 0;
        canvas.at<cv::Vec3b>(r, col) = band ? cv::Vec3b(220, 30, 200) : cv::Vec3b(250, 230, 60);
      }
    return;
  }
  const cv::Scalar rgb = rgbOf(scene.color);
  if (scene.rendering == Rendering::Plain) {
    canvas.setTo(rgb, mask);
    return;
  }
  // The style: diagonal stripes of the colour on near-white, inside a dark outline.
  const int stripe = std::max(2, n / 20);
  for (int r = 0; r < n; ++r)
    for (int col = 0; col < n; ++col) {
      if (!mask.at<uchar>(r, col)) continue;
      const bool band = ((r + col) / stripe) % 2 == 0;
      canvas.at<cv::Vec3b>(r, col) =
          band ? cv::Vec3b(static_cast<uchar>(rgb[0]), static_cast<uchar>(rgb[1]), static_cast<uchar>(rgb[2]))
               : cv::Vec3b(245, 245, 245);
    }
  const std::vector<cv::Point> pts = toPixels(outline(scene.shape, pose.angle), pose, n);
  cv::polylines(canvas, std::vector<std::vector<cv::Point>>{pts}, true, cv::Scalar(20, 20, 20), std::max(1, n / 24),
                cv::LINE_8);
}

/// How far the motion takes the shape from its start (to keep it inside the picture).
struct Extent {
  double left = 0, right = 0, up = 0, down = 0, grow = 1;
};

Extent extentOf(Motion motion) {
  switch (motion) {
    case Motion::SlideLeft: return {0.4, 0, 0, 0, 1};
    case Motion::SlideRight: return {0, 0.4, 0, 0, 1};
    case Motion::Bounce: return {0, 0, 0.3, 0, 1};
    case Motion::Rotate: return {0, 0, 0, 0, 1};
    case Motion::Grow: return {0, 0, 0, 0, 1.7};
    case Motion::Orbit: return {0.2, 0.2, 0.2, 0.2, 1};
    case Motion::Fall: return {0, 0, 0, 0.45, 1};
  }
  return {};
}

}  // namespace

const std::vector<std::string>& shapeNames() {
  static const std::vector<std::string> names{"circle", "square", "triangle", "star", "hexagon", "cross", "toy"};
  return names;
}
const std::vector<std::string>& colorNames() {
  static const std::vector<std::string> names{"red", "green", "blue", "yellow", "orange", "purple", "cyan", "pink"};
  return names;
}
const std::vector<std::string>& backgroundNames() {
  static const std::vector<std::string> names{"gray", "white", "black", "gradient", "checkered", "noisy"};
  return names;
}
const std::vector<std::string>& motionNames() {
  static const std::vector<std::string> names{"sliding left", "sliding right", "bouncing", "rotating",
                                              "growing",      "orbiting",      "falling"};
  return names;
}

std::vector<std::string> vocabularyWords() {
  std::vector<std::string> words{"a", "on", "background", "in", "sks", "style", "left", "right"};
  for (const auto* list : {&shapeNames(), &colorNames(), &backgroundNames()})
    words.insert(words.end(), list->begin(), list->end());
  for (const auto& m : motionNames()) words.push_back(m.substr(0, m.find(' ')));
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

Scene sampleScene(uint64_t seed, uint64_t index, const SceneFilter& filter) {
  Rng rng(seed, index);
  Scene s;
  s.shape = pick(rng, filter.shapes, kBaseShapes);
  s.color = pick(rng, filter.colors, kColors);
  s.background = pick(rng, filter.backgrounds, kBackgrounds);
  s.motion = pick(rng, filter.motions, kMotions);
  // A turning circle shows nothing: the circle draws another motion.
  for (int tries = 0; s.shape == Shape::Circle && s.motion == Motion::Rotate && tries < 16; ++tries)
    s.motion = pick(rng, filter.motions, kMotions);
  if (s.shape == Shape::Circle && s.motion == Motion::Rotate) s.motion = Motion::Grow;
  s.rendering = filter.rendering;
  s.radius = rng.uniform(0.13, 0.19);
  const Extent e = extentOf(s.motion);
  const double r = s.radius * e.grow + 0.02;
  s.x = rng.uniform(r + e.left, std::max(r + e.left, 1 - r - e.right));
  s.y = rng.uniform(r + e.up, std::max(r + e.up, 1 - r - e.down));
  s.angle = rng.uniform(0, 2 * kPi);
  s.phase = rng.uniform();
  s.backgroundSeed = rng.next();
  return s;
}

std::string caption(const Scene& scene, bool withMotion) {
  std::string out = "a ";
  if (scene.shape == Shape::Toy)
    out += "sks toy";
  else
    out += colorNames()[static_cast<size_t>(scene.color)] + " " + shapeNames()[static_cast<size_t>(scene.shape)];
  if (withMotion) out += " " + motionNames()[static_cast<size_t>(scene.motion)];
  out += " on a " + backgroundNames()[static_cast<size_t>(scene.background)] + " background";
  if (scene.rendering == Rendering::Outlined) out += " in sks style";
  return out;
}

Pose poseAt(const Scene& s, double t) {
  Pose p{s.x, s.y, s.radius, s.angle};
  switch (s.motion) {
    case Motion::SlideLeft: p.x -= 0.4 * t; break;
    case Motion::SlideRight: p.x += 0.4 * t; break;
    case Motion::Bounce: p.y -= 0.3 * std::abs(std::sin(kPi * (2 * t + s.phase))); break;
    case Motion::Rotate: p.angle += (s.phase < 0.5 ? 1 : -1) * kPi * t; break;
    case Motion::Grow: p.radius *= 1 + 0.7 * t; break;
    case Motion::Orbit: {
      const double a = 2 * kPi * (t + s.phase);
      // Around the sampled centre, so the whole circle stays inside the picture.
      p.x += 0.2 * std::cos(a);
      p.y += 0.2 * std::sin(a);
      break;
    }
    case Motion::Fall: p.y += 0.45 * t * t; break;
  }
  return p;
}

video::Frame drawImage(const Scene& scene, double t, int size) {
  const int big = size * kSupersample;
  cv::Mat canvas(big, big, CV_8UC3);
  drawBackground(canvas, scene);
  drawShape(canvas, scene, poseAt(scene, t));
  cv::Mat small;
  cv::resize(canvas, small, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  video::Frame frame;
  frame.width = size;
  frame.height = size;
  frame.rgb.assign(small.data, small.data + static_cast<size_t>(size) * size * 3);
  return frame;
}

std::vector<uint8_t> drawShapeMask(const Scene& scene, double t, int size) {
  const cv::Mat big = shapeMask(scene, poseAt(scene, t), size * kSupersample);
  cv::Mat small;
  cv::resize(big, small, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  return std::vector<uint8_t>(small.data, small.data + static_cast<size_t>(size) * size);
}

video::Frame drawFrame(const Scene& scene, int frame, int frames, int size) {
  return drawImage(scene, frames > 1 ? static_cast<double>(frame) / (frames - 1) : 0.0, size);
}

video::VideoClip drawVideo(const Scene& scene, int frames, int size, double fps) {
  video::VideoClip clip;
  clip.fps = fps;
  for (int f = 0; f < frames; ++f) clip.frames.push_back(drawFrame(scene, f, frames, size));
  return clip;
}

}  // namespace sm::world
