#include "core/control/driving_video.h"

#include "core/control/preprocessors.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"

namespace sm::control {

ConditionVideo readConditionVideo(const ControlNetUnit& unit, int frames, int width, int height,
                                  const std::atomic<bool>* cancel) {
  unit.validate();
  video::ReadOptions read;
  read.width = width;
  read.height = height;
  read.resize = video::ResizeMode::CenterCrop;
  read.stride = unit.stride;
  read.maxFrames = frames;
  read.cancel = cancel;
  ConditionVideo out;
  out.source = video::readVideo(unit.video, read);
  const auto got = static_cast<int>(out.source.frames.size());
  if (got == 0) throw InputError("control video " + unit.video + ": no frames decoded");
  if (got < frames) {
    if (!unit.loop)
      throw InputError("control video " + unit.video + " has " + std::to_string(got) + " frames" +
                       (unit.stride > 1 ? " at stride " + std::to_string(unit.stride) : std::string()) +
                       " but the generation needs " + std::to_string(frames) +
                       ": give a longer video, fewer frames, or --control-loop to repeat it");
    for (int i = got; i < frames; ++i) out.source.frames.push_back(out.source.frames[static_cast<size_t>(i % got)]);
  }
  out.condition = preprocessClip(out.source, unit.preprocessor);
  return out;
}

}  // namespace sm::control
