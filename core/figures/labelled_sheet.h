#pragma once
// A contact sheet of videos side by side: one row per video (a label strip on
// the left), one column per shown frame, what the demo and the comparison
// write so that methods can be judged by eye on one picture.
#include <string>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::figures {

struct LabelledRow {
  std::string label;
  video::VideoClip clip;
};

struct SheetLayout {
  /// Each frame is scaled (nearest neighbour: small videos stay crisp) to this square.
  int cell = 64;
  /// Every `frameStride`-th frame is shown, starting with the first.
  int frameStride = 1;
  /// Width of the label strip, pixels.
  int labelWidth = 200;
};

/// Throws std::invalid_argument for no rows, an empty clip or a bad layout.
/// Rows with fewer frames leave their missing cells dark.
video::Frame labelledSheet(const std::vector<LabelledRow>& rows, const SheetLayout& layout = {});

}  // namespace sm::figures
