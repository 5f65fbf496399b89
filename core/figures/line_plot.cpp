#include "core/figures/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace sm::figures {
namespace {

cv::Scalar colour(const std::array<uint8_t, 3>& rgb) { return cv::Scalar(rgb[0], rgb[1], rgb[2]); }  // RGB Mat

/// A tick step of 1, 2 or 5 x 10^k giving about `target` intervals over `span`.
double niceStep(double span, int target) {
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) return m * magnitude;
  return 10.0 * magnitude;
}

std::string tickText(double v, double step) {
  const int digits = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, std::abs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

void dashedLine(cv::Mat& img, cv::Point a, cv::Point b, const cv::Scalar& c) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  const int dashes = std::max(1, static_cast<int>(length / 8));
  for (int i = 0; i < dashes; i += 2) {
    const double t0 = static_cast<double>(i) / dashes, t1 = std::min(1.0, static_cast<double>(i + 1) / dashes);
    cv::line(img, a + (b - a) * t0, a + (b - a) * t1, c, 2, cv::LINE_AA);
  }
}

}  // namespace

video::Frame linePlot(const PlotSpec& spec) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : spec.series) {
    if (s.x.size() != s.y.size() || (!s.error.empty() && s.error.size() != s.y.size()))
      throw std::invalid_argument("plot series '" + s.name + "': x, y and error sizes differ");
    for (size_t i = 0; i < s.x.size(); ++i) {
      const double e = s.error.empty() ? 0.0 : std::abs(s.error[i]);
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i] - e);
      y1 = std::max(y1, s.y[i] + e);
    }
  }
  if (!(x0 <= x1) || !(y0 <= y1) || !std::isfinite(y0) || !std::isfinite(y1))
    throw std::invalid_argument("plot '" + spec.title + "': nothing to draw");
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double yMargin = 0.08 * (y1 - y0);
  y0 -= yMargin;
  y1 += yMargin;

  cv::Mat img(spec.height, spec.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const int left = 64, right = 16, top = 34, bottom = 48;
  const cv::Rect area(left, top, spec.width - left - right, spec.height - top - bottom);
  const auto px = [&](double x) { return area.x + static_cast<int>(std::lround((x - x0) / (x1 - x0) * area.width)); };
  const auto py = [&](double y) {
    return area.y + area.height - static_cast<int>(std::lround((y - y0) / (y1 - y0) * area.height));
  };
  const cv::Scalar ink(40, 40, 40), grid(225, 225, 225);
  const int font = cv::FONT_HERSHEY_SIMPLEX;

  const double xStep = niceStep(x1 - x0, 4), yStep = niceStep(y1 - y0, 5);
  for (double x = std::ceil(x0 / xStep) * xStep; x <= x1 + 1e-9; x += xStep) {
    cv::line(img, {px(x), area.y}, {px(x), area.y + area.height}, grid, 1);
    const std::string t = tickText(x, xStep);
    cv::putText(img, t, {px(x) - 4 * static_cast<int>(t.size()), area.y + area.height + 16}, font, 0.4, ink, 1,
                cv::LINE_AA);
  }
  for (double y = std::ceil(y0 / yStep) * yStep; y <= y1 + 1e-9; y += yStep) {
    cv::line(img, {area.x, py(y)}, {area.x + area.width, py(y)}, grid, 1);
    cv::putText(img, tickText(y, yStep), {6, py(y) + 4}, font, 0.4, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(img, area, ink, 1);
  cv::putText(img, spec.title, {left, 22}, font, 0.5, ink, 1, cv::LINE_AA);
  cv::putText(img, spec.xLabel, {area.x + area.width / 2 - 4 * static_cast<int>(spec.xLabel.size()), spec.height - 10},
              font, 0.45, ink, 1, cv::LINE_AA);
  cv::putText(img, spec.yLabel, {6, top - 6}, font, 0.4, ink, 1, cv::LINE_AA);

  for (const auto& s : spec.series) {
    const cv::Scalar c = colour(s.rgb);
    for (size_t i = 0; i + 1 < s.x.size(); ++i) {
      const cv::Point a(px(s.x[i]), py(s.y[i])), b(px(s.x[i + 1]), py(s.y[i + 1]));
      if (s.dashed)
        dashedLine(img, a, b, c);
      else
        cv::line(img, a, b, c, 2, cv::LINE_AA);
    }
    if (s.dashed) continue;
    for (size_t i = 0; i < s.x.size(); ++i) {
      const cv::Point p(px(s.x[i]), py(s.y[i]));
      if (!s.error.empty() && s.error[i] > 0) {
        const int lo = py(s.y[i] - s.error[i]), hi = py(s.y[i] + s.error[i]);
        cv::line(img, {p.x, lo}, {p.x, hi}, c, 1, cv::LINE_AA);
        cv::line(img, {p.x - 4, lo}, {p.x + 4, lo}, c, 1, cv::LINE_AA);
        cv::line(img, {p.x - 4, hi}, {p.x + 4, hi}, c, 1, cv::LINE_AA);
      }
      cv::circle(img, p, 4, c, cv::FILLED, cv::LINE_AA);
    }
  }
  // Legend, top right inside the axes.
  int y = area.y + 16;
  for (const auto& s : spec.series) {
    const int x = area.x + area.width - 170;
    if (s.dashed)
      dashedLine(img, {x, y - 4}, {x + 24, y - 4}, colour(s.rgb));
    else
      cv::line(img, {x, y - 4}, {x + 24, y - 4}, colour(s.rgb), 2, cv::LINE_AA);
    cv::putText(img, s.name, {x + 30, y}, font, 0.4, ink, 1, cv::LINE_AA);
    y += 16;
  }
  video::Frame out;
  out.width = img.cols;
  out.height = img.rows;
  out.rgb.assign(img.data, img.data + img.total() * 3);
  return out;
}

video::Frame sideBySide(const std::vector<video::Frame>& frames, int gap) {
  if (frames.empty()) throw std::invalid_argument("sideBySide: no frames");
  int width = 0, height = 0;
  for (const auto& f : frames) {
    width += f.width + gap;
    height = std::max(height, f.height);
  }
  width -= gap;
  cv::Mat out(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  int x = 0;
  for (const auto& f : frames) {
    cv::Mat img(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
    img.copyTo(out(cv::Rect(x, 0, f.width, f.height)));
    x += f.width + gap;
  }
  video::Frame frame;
  frame.width = out.cols;
  frame.height = out.rows;
  frame.rgb.assign(out.data, out.data + out.total() * 3);
  return frame;
}

}  // namespace sm::figures
