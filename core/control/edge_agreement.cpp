#include "core/control/edge_agreement.h"

#include <opencv2/imgproc.hpp>

#include <stdexcept>

#include "core/control/preprocessors.h"

namespace sm::control {
namespace {

cv::Mat dilatedEdges(const video::Frame& edges) {
  cv::Mat rgb(edges.height, edges.width, CV_8UC3, const_cast<uint8_t*>(edges.rgb.data()));
  cv::Mat gray, out;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  cv::dilate(gray > 127, out, cv::Mat::ones(3, 3, CV_8U));
  return out;
}

}  // namespace

double edgeAgreement(const video::VideoClip& condition, const video::VideoClip& generated, const Preprocessor& canny) {
  if (condition.frames.size() != generated.frames.size() || condition.frames.empty())
    throw std::invalid_argument("edgeAgreement: the condition and the video need the same, non-zero frame count");
  Preprocessor edgesOnly = canny;
  edgesOnly.type = ControlType::Canny;
  double sum = 0;
  for (size_t i = 0; i < condition.frames.size(); ++i) {
    const video::Frame& c = condition.frames[i];
    const video::Frame& g = generated.frames[i];
    if (c.width != g.width || c.height != g.height)
      throw std::invalid_argument("edgeAgreement: frames of different sizes");
    const cv::Mat a = dilatedEdges(c), b = dilatedEdges(preprocessFrame(g, edgesOnly));
    const double both = cv::countNonZero(a & b), either = cv::countNonZero(a | b);
    sum += either > 0 ? both / either : 1.0;
  }
  return sum / static_cast<double>(condition.frames.size());
}

}  // namespace sm::control
