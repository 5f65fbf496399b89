#pragma once
// unique_ptr owners for FFmpeg handles (private to core/video: public headers never
// include FFmpeg). Each deleter accepts nullptr.
#include <memory>
#include <string>

#include "core/util/error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace sm::video {

/// A demuxer opened with avformat_open_input.
struct InputFormatDeleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatDeleter>;

/// A muxer made with avformat_alloc_output_context2; closes its AVIOContext if it opened one.
struct OutputFormatDeleter {
  void operator()(AVFormatContext* context) const {
    if (!context) return;
    if (context->pb && context->oformat && !(context->oformat->flags & AVFMT_NOFILE)) avio_closep(&context->pb);
    avformat_free_context(context);
  }
};
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatDeleter>;

struct CodecContextDeleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

struct SwsContextDeleter {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;

struct FilterGraphDeleter {
  void operator()(AVFilterGraph* graph) const { avfilter_graph_free(&graph); }
};
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FilterGraphDeleter>;

struct FilterInOutDeleter {
  void operator()(AVFilterInOut* inOut) const { avfilter_inout_free(&inOut); }
};
using FilterInOutPtr = std::unique_ptr<AVFilterInOut, FilterInOutDeleter>;

/// Owns an AVDictionary; FFmpeg calls take `&dict` through `Dictionary::slot()`.
class Dictionary {
 public:
  Dictionary() = default;
  ~Dictionary() { av_dict_free(&dict_); }
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  void set(const char* key, const std::string& value) { av_dict_set(&dict_, key, value.c_str(), 0); }
  AVDictionary** slot() { return &dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

/// FFmpeg's text for an error code (av_strerror), e.g. "Invalid data found when processing input".
inline std::string avErrorText(int error) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(error, buffer, sizeof buffer) < 0) return "FFmpeg error " + std::to_string(error);
  return buffer;
}

/// Throws VideoIOError naming the file, with FFmpeg's text for `avError` when it is an error code.
[[noreturn]] inline void fail(const std::string& path, int avError, const std::string& problem) {
  throw VideoIOError(path, avError, avError < 0 ? problem + ": " + avErrorText(avError) : problem);
}

inline void check(int result, const std::string& path, const std::string& problem) {
  if (result < 0) fail(path, result, problem);
}

template <typename T>
T* checkAlloc(T* pointer, const std::string& path) {
  if (!pointer) fail(path, AVERROR(ENOMEM), "FFmpeg allocation failed");
  return pointer;
}

}  // namespace sm::video
