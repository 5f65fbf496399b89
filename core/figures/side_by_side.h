#pragma once
// Videos played side by side as one video: frame i is the clips' frames i in a
// row, each scaled (nearest neighbour) to the first clip's height, with a gap
// between them. What the Studio's player shows for "source | condition | output".
#include <vector>

#include "core/video/video_frames.h"

namespace sm::figures {

/// As many frames as the longest clip (a shorter clip holds its last frame), at
/// the first clip's frame rate. Throws std::invalid_argument for no clips or an empty one.
video::VideoClip sideBySide(const std::vector<video::VideoClip>& clips, int gap = 4);

}  // namespace sm::figures
