#include "core/figures/side_by_side.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <stdexcept>

namespace sm::figures {

video::VideoClip sideBySide(const std::vector<video::VideoClip>& clips, int gap) {
  if (clips.empty()) throw std::invalid_argument("sideBySide: no clips");
  size_t frames = 0;
  for (const auto& c : clips) {
    if (c.frames.empty()) throw std::invalid_argument("sideBySide: an empty clip");
    frames = std::max(frames, c.frames.size());
  }
  const int height = clips.front().frames.front().height;
  std::vector<int> widths;
  int total = 0;
  for (const auto& c : clips) {
    const video::Frame& f = c.frames.front();
    widths.push_back(std::max(1, f.width * height / std::max(1, f.height)));
    total += widths.back();
  }
  total += gap * static_cast<int>(clips.size() - 1);
  video::VideoClip out;
  out.fps = clips.front().fps;
  for (size_t i = 0; i < frames; ++i) {
    video::Frame frame;
    frame.width = total;
    frame.height = height;
    frame.rgb.assign(static_cast<size_t>(total) * height * 3, 24);
    cv::Mat canvas(height, total, CV_8UC3, frame.rgb.data());
    int x = 0;
    for (size_t k = 0; k < clips.size(); ++k) {
      const video::Frame& f = clips[k].frames[std::min(i, clips[k].frames.size() - 1)];
      const cv::Mat source(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
      cv::resize(source, canvas(cv::Rect(x, 0, widths[k], height)), cv::Size(widths[k], height), 0, 0,
                 cv::INTER_NEAREST);
      x += widths[k] + gap;
    }
    out.frames.push_back(std::move(frame));
  }
  return out;
}

}  // namespace sm::figures
