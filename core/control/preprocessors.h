#pragma once
// The ControlNet preprocessors, on OpenCV: each turns one RGB frame into one
// RGB condition frame of the same size, independently of the other frames
// (no per-video normalisation, so a still scene gives a still condition).
#include "core/control/control_unit.h"
#include "core/video/video_frames.h"

namespace sm::control {

/// canny:    cv::Canny on the luminance (3x3 Sobel, L1 gradient, thresholds
///           low/high), edges 255 on 0, in all three channels; what lllyasviel's
///           canny annotator gives.
/// softedge: an OpenCV stand-in for the HED / PiDiNet soft-edge annotators:
///           luminance in [0, 1], Gaussian blur (sigma 1.5), Sobel gradient
///           magnitude m, value min(1, 2m)^0.5 (edges strong, faint gradients
///           kept as grey), blurred again (sigma 1); the same in all channels.
/// gray:     luminance (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) in all channels.
/// raw:      the frame unchanged.
video::Frame preprocessFrame(const video::Frame& frame, const Preprocessor& preprocessor);

/// Every frame through preprocessFrame; the clip's frame rate is kept.
video::VideoClip preprocessClip(const video::VideoClip& clip, const Preprocessor& preprocessor);

}  // namespace sm::control
