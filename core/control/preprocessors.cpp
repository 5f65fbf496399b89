#include "core/control/preprocessors.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>

namespace sm::control {
namespace {

cv::Mat view(const video::Frame& frame) {
  // OpenCV only reads through this header: the const_cast never leads to a write.
  return cv::Mat(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.rgb.data()));
}

video::Frame fromGray(const cv::Mat& gray) {
  video::Frame out;
  out.width = gray.cols;
  out.height = gray.rows;
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  cv::Mat rgb(out.height, out.width, CV_8UC3, out.rgb.data());
  cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
  return out;
}

cv::Mat luminance(const video::Frame& frame) {
  cv::Mat gray;
  cv::cvtColor(view(frame), gray, cv::COLOR_RGB2GRAY);
  return gray;
}

cv::Mat softEdges(const cv::Mat& gray) {
  cv::Mat f, gx, gy, magnitude;
  gray.convertTo(f, CV_32F, 1.0 / 255.0);
  cv::GaussianBlur(f, f, cv::Size(0, 0), 1.5, 1.5, cv::BORDER_REFLECT_101);
  cv::Sobel(f, gx, CV_32F, 1, 0, 3, 1.0, 0.0, cv::BORDER_REFLECT_101);
  cv::Sobel(f, gy, CV_32F, 0, 1, 3, 1.0, 0.0, cv::BORDER_REFLECT_101);
  cv::magnitude(gx, gy, magnitude);
  magnitude = cv::min(magnitude * 2.0, 1.0);
  cv::sqrt(magnitude, magnitude);
  cv::GaussianBlur(magnitude, magnitude, cv::Size(0, 0), 1.0, 1.0, cv::BORDER_REFLECT_101);
  cv::Mat out;
  magnitude.convertTo(out, CV_8U, 255.0);
  return out;
}

}  // namespace

video::Frame preprocessFrame(const video::Frame& frame, const Preprocessor& preprocessor) {
  if (frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3)
    throw std::invalid_argument("preprocessFrame: the frame's pixels do not match its size");
  switch (preprocessor.type) {
    case ControlType::Raw: return frame;
    case ControlType::Gray: return fromGray(luminance(frame));
    case ControlType::Canny: {
      cv::Mat edges;
      cv::Canny(luminance(frame), edges, preprocessor.low, preprocessor.high, 3, false);
      return fromGray(edges);
    }
    case ControlType::SoftEdge: return fromGray(softEdges(luminance(frame)));
  }
  return frame;
}

video::VideoClip preprocessClip(const video::VideoClip& clip, const Preprocessor& preprocessor) {
  video::VideoClip out;
  out.fps = clip.fps;
  out.frames.reserve(clip.frames.size());
  for (const video::Frame& frame : clip.frames) out.frames.push_back(preprocessFrame(frame, preprocessor));
  return out;
}

}  // namespace sm::control
