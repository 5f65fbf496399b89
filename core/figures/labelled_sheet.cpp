#include "core/figures/labelled_sheet.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace sm::figures {

video::Frame labelledSheet(const std::vector<LabelledRow>& rows, const SheetLayout& layout) {
  if (rows.empty()) throw std::invalid_argument("contact sheet: no rows");
  if (layout.cell < 8 || layout.frameStride < 1 || layout.labelWidth < 0)
    throw std::invalid_argument("contact sheet: bad layout");
  size_t frames = 0;
  for (const auto& row : rows) {
    if (row.clip.frames.empty()) throw std::invalid_argument("contact sheet: row '" + row.label + "' has no frames");
    frames = std::max(frames, row.clip.frames.size());
  }
  const int columns = static_cast<int>((frames + static_cast<size_t>(layout.frameStride) - 1) /
                                       static_cast<size_t>(layout.frameStride));
  const int gap = 2, cell = layout.cell;
  cv::Mat sheet(static_cast<int>(rows.size()) * (cell + gap), layout.labelWidth + columns * (cell + gap), CV_8UC3,
                cv::Scalar(24, 24, 24));
  for (size_t r = 0; r < rows.size(); ++r) {
    const int y = static_cast<int>(r) * (cell + gap);
    cv::putText(sheet, rows[r].label, cv::Point(6, y + cell / 2 + 5), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                cv::Scalar(235, 235, 235), 1, cv::LINE_AA);
    const auto& clipFrames = rows[r].clip.frames;
    for (int c = 0; c < columns; ++c) {
      const size_t f = static_cast<size_t>(c) * static_cast<size_t>(layout.frameStride);
      if (f >= clipFrames.size()) break;
      const video::Frame& frame = clipFrames[f];
      cv::Mat img(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.rgb.data()));
      cv::Mat scaled;
      cv::resize(img, scaled, cv::Size(cell, cell), 0, 0, cv::INTER_NEAREST);
      scaled.copyTo(sheet(cv::Rect(layout.labelWidth + c * (cell + gap), y, cell, cell)));
    }
  }
  video::Frame out;
  out.width = sheet.cols;
  out.height = sheet.rows;
  out.rgb.assign(sheet.data, sheet.data + sheet.total() * 3);
  return out;
}

}  // namespace sm::figures
