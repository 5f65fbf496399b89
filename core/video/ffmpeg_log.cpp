#include "core/video/ffmpeg_log.h"

extern "C" {
#include <libavutil/log.h>
}

namespace sm::video {

void quietFfmpegLogs() { av_log_set_level(AV_LOG_ERROR); }

}  // namespace sm::video
