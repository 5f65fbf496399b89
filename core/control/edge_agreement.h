#pragma once
// How closely a generated video follows its driving video's structure: the
// canny edges of each generated frame against the condition's edges, both
// dilated by one pixel (a 3x3 square) so that an edge one pixel off still
// counts, as intersection over union, averaged over the frames. 1: the same
// edges; 0: none shared. What the demo reports for the ControlNet row.
#include "core/control/control_unit.h"
#include "core/video/video_frames.h"

namespace sm::control {

/// `condition`: canny frames (white edges on black); `generated`: RGB frames of the
/// same size and count. Throws std::invalid_argument when they differ.
double edgeAgreement(const video::VideoClip& condition, const video::VideoClip& generated,
                     const Preprocessor& canny = {});

}  // namespace sm::control
