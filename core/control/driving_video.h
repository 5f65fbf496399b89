#pragma once
// The driving video of a ControlNet: read at the generation's size, the
// frames it needs taken in order, then preprocessed into condition frames.
#include <atomic>
#include <string>

#include "core/control/control_unit.h"
#include "core/video/video_frames.h"

namespace sm::control {

struct ConditionVideo {
  /// The driving frames as used: frames x width x height, after stride, loop and crop.
  video::VideoClip source;
  /// The same frames through the preprocessor: what the ControlNet sees.
  video::VideoClip condition;
};

/// Reads frames 0, s, 2s, ... (s = unit.stride) of unit.video until `frames` are
/// taken; frame i conditions generated frame i. A video of another size is scaled
/// with a bicubic filter (FFmpeg swscale) to cover width x height, keeping its
/// aspect ratio, then centre-cropped. Too few frames: InputError naming both
/// counts, unless unit.loop, which repeats the video from its first frame.
/// Throws VideoIOError for a file that does not decode, sm::Cancelled when cancelled.
ConditionVideo readConditionVideo(const ControlNetUnit& unit, int frames, int width, int height,
                                  const std::atomic<bool>* cancel = nullptr);

}  // namespace sm::control
