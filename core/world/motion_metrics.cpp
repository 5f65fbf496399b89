#include "core/world/motion_metrics.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>
#include <vector>

namespace sm::world {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Mat gray(const video::Frame& f) {
  cv::Mat rgb(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
  cv::Mat g;
  cv::cvtColor(rgb, g, cv::COLOR_RGB2GRAY);
  return g;
}

cv::Mat resizedGray(const video::Frame& f, int size) {
  const cv::Mat g = gray(f);
  if (size <= 0 || (g.rows == size && g.cols == size)) return g;
  cv::Mat out;
  cv::resize(g, out, cv::Size(size, size), 0, 0, g.rows > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

/// Farnebäck with one set of parameters for every measure: 3 levels, window 9, 3 iterations.
cv::Mat flowBetween(const video::Frame& a, const video::Frame& b, int size = 0) {
  cv::Mat flow;
  cv::calcOpticalFlowFarneback(resizedGray(a, size), resizedGray(b, size), flow, 0.5, 3, 9, 3, 5, 1.1, 0);
  return flow;
}

cv::Mat flowMagnitudeMap(const video::Frame& a, const video::Frame& b, int size = 0) {
  std::vector<cv::Mat> xy;
  cv::split(flowBetween(a, b, size), xy);
  cv::Mat mag;
  cv::magnitude(xy[0], xy[1], mag);
  return mag;
}

}  // namespace

std::vector<float> flowMagnitudes(const video::Frame& a, const video::Frame& b, int size) {
  const cv::Mat mag = flowMagnitudeMap(a, b, size);
  return std::vector<float>(mag.begin<float>(), mag.end<float>());
}

double meanFlowMagnitude(const video::VideoClip& clip) {
  if (clip.frames.size() < 2) return 0;
  double sum = 0;
  for (size_t i = 1; i < clip.frames.size(); ++i)
    sum += cv::mean(flowMagnitudeMap(clip.frames[i - 1], clip.frames[i]))[0];
  return sum / static_cast<double>(clip.frames.size() - 1);
}

MotionFeatures motionFeatures(const video::VideoClip& clip) {
  MotionFeatures m;
  if (clip.frames.size() < 2) return m;
  const int pairs = static_cast<int>(clip.frames.size()) - 1;
  double lastDy = 0, lastAngle = 0;
  bool haveAngle = false;
  for (int i = 0; i < pairs; ++i) {
    const cv::Mat flow = flowBetween(clip.frames[static_cast<size_t>(i)], clip.frames[static_cast<size_t>(i) + 1]);
    double sx = 0, sy = 0, cx = 0, cy = 0, total = 0, weight = 0;
    for (int r = 0; r < flow.rows; ++r)
      for (int c = 0; c < flow.cols; ++c) {
        const cv::Vec2f v = flow.at<cv::Vec2f>(r, c);
        const double mag = std::hypot(v[0], v[1]);
        total += mag;
        if (mag < 0.2) continue;  // the moving region only
        sx += v[0] * mag;
        sy += v[1] * mag;
        cx += c * mag;
        cy += r * mag;
        weight += mag;
      }
    m.magnitude += total / (flow.rows * flow.cols);
    if (weight <= 0) continue;
    const double dx = sx / weight, dy = sy / weight;
    cx /= weight;
    cy /= weight;
    double radial = 0, tangential = 0;
    for (int r = 0; r < flow.rows; ++r)
      for (int c = 0; c < flow.cols; ++c) {
        const cv::Vec2f v = flow.at<cv::Vec2f>(r, c);
        const double mag = std::hypot(v[0], v[1]);
        if (mag < 0.2) continue;
        const double ox = c - cx, oy = r - cy;
        const double len = std::hypot(ox, oy);
        if (len < 1) continue;
        // Relative to the region's own translation, so a sliding shape is neither growing nor turning.
        const double rx = v[0] - dx, ry = v[1] - dy;
        radial += (rx * ox + ry * oy) / len * mag;
        tangential += (rx * -oy + ry * ox) / len * mag;
      }
    m.radial += radial / weight;
    m.tangential += tangential / weight;
    m.meanDx += dx;
    m.meanDy += dy;
    if (std::abs(dy) > 0.3) {
      if (lastDy != 0 && (dy > 0) != (lastDy > 0)) ++m.dySignChanges;
      lastDy = dy;
    }
    if (std::hypot(dx, dy) > 0.3) {
      const double angle = std::atan2(dy, dx);
      if (haveAngle) {
        double d = angle - lastAngle;
        while (d > kPi) d -= 2 * kPi;
        while (d < -kPi) d += 2 * kPi;
        m.turn += d;
      }
      lastAngle = angle;
      haveAngle = true;
    }
  }
  m.magnitude /= pairs;
  m.radial /= pairs;
  m.tangential /= pairs;
  return m;
}

std::optional<Motion> classifyMotion(const video::VideoClip& clip) {
  const MotionFeatures m = motionFeatures(clip);
  if (m.magnitude < 0.02) return std::nullopt;
  const double travel = std::hypot(m.meanDx, m.meanDy);
  const int pairs = static_cast<int>(clip.frames.size()) - 1;
  if (std::abs(m.turn) > 0.75 * kPi) return Motion::Orbit;
  if (m.dySignChanges >= 1 && std::abs(m.meanDx) < 0.5 * std::abs(m.meanDy) + 2) return Motion::Bounce;
  if (travel > 0.15 * pairs) {
    if (std::abs(m.meanDx) > std::abs(m.meanDy)) return m.meanDx < 0 ? Motion::SlideLeft : Motion::SlideRight;
    return m.meanDy > 0 ? Motion::Fall : Motion::Bounce;
  }
  if (std::abs(m.radial) > std::abs(m.tangential)) return Motion::Grow;
  return Motion::Rotate;
}

}  // namespace sm::world
