#include "core/video/video_writer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/video/av_handles.h"
#include "core/video/ffmpeg_log.h"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
}

namespace sm::video {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxSide = 16384;

/// What one writeVideo call needs everywhere: the path for errors, the clip, hooks.
struct Job {
  const std::string& path;
  const VideoClip& clip;
  const WriteOptions& options;

  int total() const { return static_cast<int>(clip.frames.size()); }
  int width() const { return clip.frames.front().width; }
  int height() const { return clip.frames.front().height; }
  void checkCancel() const {
    if (options.cancel && options.cancel->load()) throw Cancelled();
  }
  void progress(int done) const {
    if (options.onProgress) options.onProgress(done, total());
  }
};

void validateClip(const std::string& path, const VideoClip& clip) {
  if (clip.frames.empty()) fail(path, 0, "the clip has no frames");
  if (!std::isfinite(clip.fps) || clip.fps <= 0.0 || clip.fps > 1000.0)
    fail(path, 0, "invalid frame rate " + std::to_string(clip.fps));
  const Frame& first = clip.frames.front();
  if (first.width <= 0 || first.height <= 0 || first.width > kMaxSide || first.height > kMaxSide)
    fail(path, 0, "invalid frame size " + std::to_string(first.width) + "x" + std::to_string(first.height));
  const size_t bytes = static_cast<size_t>(first.width) * first.height * 3;
  for (size_t i = 0; i < clip.frames.size(); ++i) {
    const Frame& frame = clip.frames[i];
    if (frame.width != first.width || frame.height != first.height)
      fail(path, 0,
           "frame " + std::to_string(i) + " is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
               ", frame 0 is " + std::to_string(first.width) + "x" + std::to_string(first.height));
    if (frame.rgb.size() != bytes)
      fail(path, 0,
           "frame " + std::to_string(i) + " holds " + std::to_string(frame.rgb.size()) + " bytes, " +
               std::to_string(bytes) + " expected (RGB24)");
  }
}

AVRational frameRate(double fps) { return av_d2q(fps, 1001000); }

/// A temporary file or folder beside the target; removed on destruction unless moved into
/// place. Named as util's writers name theirs, so a killed writer's leftover is found and
/// removed by the next write of the same target (util::removeStaleTempFiles).
class TempPath {
 public:
  explicit TempPath(const fs::path& target) : target_(target), path_(util::tempPathFor(target.string())) {}
  ~TempPath() {
    std::error_code ignored;
    if (!committed_) fs::remove_all(path_, ignored);
  }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;

  const fs::path& path() const { return path_; }
  void renameTo(const fs::path& target, const std::string& errorPath) {
    std::error_code error;
    fs::rename(path_, target, error);
    if (error) fail(errorPath, 0, "cannot move the finished file into place: " + error.message());
    committed_ = true;
    util::removeStaleTempFiles(target_.string());
  }

 private:
  fs::path target_;
  fs::path path_;
  bool committed_ = false;
};

/// Copies `frame` into `out` (which has its own linesize), repeating the last column and row
/// when `out` is larger.
void copyRgbInto(const Frame& frame, AVFrame* out) {
  const int srcRowBytes = frame.width * 3;
  for (int y = 0; y < out->height; ++y) {
    const uint8_t* src = frame.rgb.data() + static_cast<size_t>(std::min(y, frame.height - 1)) * srcRowBytes;
    uint8_t* dst = out->data[0] + static_cast<ptrdiff_t>(y) * out->linesize[0];
    std::memcpy(dst, src, srcRowBytes);
    for (int x = frame.width; x < out->width; ++x) std::memcpy(dst + x * 3, src + srcRowBytes - 3, 3);
  }
}

FramePtr allocFrame(const std::string& path, AVPixelFormat format, int width, int height) {
  FramePtr frame(checkAlloc(av_frame_alloc(), path));
  frame->format = format;
  frame->width = width;
  frame->height = height;
  check(av_frame_get_buffer(frame.get(), 0), path, "cannot allocate a frame");
  return frame;
}

OutputFormatPtr openMuxer(const std::string& path, const char* formatName, const fs::path& file) {
  AVFormatContext* raw = nullptr;
  check(avformat_alloc_output_context2(&raw, nullptr, formatName, file.c_str()), path,
        std::string("cannot set up the ") + formatName + " muxer");
  return OutputFormatPtr(raw);
}

/// Adds the stream for `encoder`, creates the file and writes the header.
AVStream* startMuxing(const std::string& path, AVFormatContext* mux, const AVCodecContext* encoder, AVRational rate,
                      Dictionary& muxOptions) {
  AVStream* stream = checkAlloc(avformat_new_stream(mux, nullptr), path);
  check(avcodec_parameters_from_context(stream->codecpar, encoder), path, "cannot set the stream parameters");
  stream->time_base = encoder->time_base;
  stream->avg_frame_rate = rate;
  stream->r_frame_rate = rate;
  check(avio_open(&mux->pb, mux->url, AVIO_FLAG_WRITE), path, "cannot create the output file");
  check(avformat_write_header(mux, muxOptions.slot()), path, "cannot write the header");
  return stream;
}

void finishMuxing(const std::string& path, AVFormatContext* mux) {
  check(av_write_trailer(mux), path, "cannot finish the file");
  check(avio_closep(&mux->pb), path, "cannot close the file");
}

/// Sends `frame` (nullptr: flush) to the encoder and writes every packet it gives back.
void encodeAndMux(const std::string& path, AVCodecContext* encoder, const AVFrame* frame, AVFormatContext* mux,
                  AVStream* stream, AVPacket* packet) {
  check(avcodec_send_frame(encoder, frame), path, "encoding failed");
  while (true) {
    const int result = avcodec_receive_packet(encoder, packet);
    if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) return;
    check(result, path, "encoding failed");
    av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
    packet->stream_index = stream->index;
    check(av_interleaved_write_frame(mux, packet), path, "writing failed");
  }
}

CodecContextPtr makeEncoder(const std::string& path, const AVCodec* codec, AVPixelFormat format, int width, int height,
                            AVRational rate) {
  CodecContextPtr encoder(checkAlloc(avcodec_alloc_context3(codec), path));
  encoder->width = width;
  encoder->height = height;
  encoder->pix_fmt = format;
  encoder->time_base = av_inv_q(rate);
  encoder->framerate = rate;
  encoder->sample_aspect_ratio = AVRational{1, 1};
  return encoder;
}

void writeMp4(const Job& job, const fs::path& file) {
  const std::string& path = job.path;
  const WriteOptions& options = job.options;
  if (options.crf < 0 || options.crf > 51) fail(path, 0, "CRF " + std::to_string(options.crf) + " is not in 0..51");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) fail(path, AVERROR_ENCODER_NOT_FOUND, "FFmpeg was built without libx264");

  // 4:2:0 needs even sides: pad by repeating the last column/row (see the header).
  const int width = job.width() + (job.width() & 1);
  const int height = job.height() + (job.height() & 1);
  const AVRational rate = frameRate(job.clip.fps);

  OutputFormatPtr mux = openMuxer(path, "mp4", file);
  CodecContextPtr encoder = makeEncoder(path, codec, AV_PIX_FMT_YUV420P, width, height, rate);
  encoder->color_range = AVCOL_RANGE_MPEG;
  encoder->color_primaries = AVCOL_PRI_BT709;
  encoder->color_trc = AVCOL_TRC_BT709;
  encoder->colorspace = AVCOL_SPC_BT709;
  if (mux->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  Dictionary encoderOptions;
  encoderOptions.set("preset", options.preset);
  encoderOptions.set("crf", std::to_string(options.crf));
  check(avcodec_open2(encoder.get(), codec, encoderOptions.slot()), path,
        "cannot open the H.264 encoder (preset '" + options.preset + "')");

  Dictionary muxOptions;
  muxOptions.set("movflags", "+faststart");
  AVStream* stream = startMuxing(path, mux.get(), encoder.get(), rate, muxOptions);

  // RGB (full range) -> Y'CbCr BT.709 limited range, matching the tags set on the encoder.
  SwsContextPtr sws(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                                   SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
  if (!sws) fail(path, 0, "cannot set up the RGB to YUV conversion");
  const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
  if (sws_setColorspaceDetails(sws.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16) < 0)
    fail(path, 0, "cannot set the BT.709 conversion");

  FramePtr rgb = allocFrame(path, AV_PIX_FMT_RGB24, width, height);
  FramePtr yuv = allocFrame(path, AV_PIX_FMT_YUV420P, width, height);
  yuv->color_range = encoder->color_range;
  yuv->color_primaries = encoder->color_primaries;
  yuv->color_trc = encoder->color_trc;
  yuv->colorspace = encoder->colorspace;
  PacketPtr packet(checkAlloc(av_packet_alloc(), path));
  for (int i = 0; i < job.total(); ++i) {
    job.checkCancel();
    copyRgbInto(job.clip.frames[i], rgb.get());
    check(av_frame_make_writable(yuv.get()), path, "cannot allocate a frame");
    sws_scale(sws.get(), rgb->data, rgb->linesize, 0, height, yuv->data, yuv->linesize);
    yuv->pts = i;
    encodeAndMux(path, encoder.get(), yuv.get(), mux.get(), stream, packet.get());
    job.progress(i + 1);
  }
  encodeAndMux(path, encoder.get(), nullptr, mux.get(), stream, packet.get());
  job.checkCancel();
  finishMuxing(path, mux.get());
}

/// rgb24 frames in, pal8 frames out: one palette for the whole clip (palettegen waits for the
/// last frame), then error-diffusion dithering against it.
struct PaletteGraph {
  FilterGraphPtr graph;
  AVFilterContext* source = nullptr;
  AVFilterContext* sink = nullptr;
};

PaletteGraph makePaletteGraph(const std::string& path, int width, int height, AVRational timeBase) {
  PaletteGraph result;
  result.graph.reset(checkAlloc(avfilter_graph_alloc(), path));
  AVFilterGraph* graph = result.graph.get();
  char sourceArgs[160];
  std::snprintf(sourceArgs, sizeof sourceArgs, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=1/1", width,
                height, static_cast<int>(AV_PIX_FMT_RGB24), timeBase.num, timeBase.den);
  check(avfilter_graph_create_filter(&result.source, avfilter_get_by_name("buffer"), "in", sourceArgs, nullptr, graph),
        path, "cannot set up the GIF palette filter");
  check(avfilter_graph_create_filter(&result.sink, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr, graph),
        path, "cannot set up the GIF palette filter");
  const AVPixelFormat sinkFormats[] = {AV_PIX_FMT_PAL8, AV_PIX_FMT_NONE};
  check(av_opt_set_int_list(result.sink, "pix_fmts", sinkFormats, AV_PIX_FMT_NONE, AV_OPT_SEARCH_CHILDREN), path,
        "cannot set up the GIF palette filter");

  // The graph's open ends: its input reads from "in", its output feeds "out".
  FilterInOutPtr graphInput(checkAlloc(avfilter_inout_alloc(), path));
  graphInput->name = av_strdup("in");
  graphInput->filter_ctx = result.source;
  FilterInOutPtr graphOutput(checkAlloc(avfilter_inout_alloc(), path));
  graphOutput->name = av_strdup("out");
  graphOutput->filter_ctx = result.sink;
  AVFilterInOut* outputs = graphInput.release();
  AVFilterInOut* inputs = graphOutput.release();
  const int parsed =
      avfilter_graph_parse_ptr(graph, "split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=sierra2_4a",
                               &inputs, &outputs, nullptr);
  graphInput.reset(outputs);
  graphOutput.reset(inputs);
  check(parsed, path, "cannot set up the GIF palette filter");
  check(avfilter_graph_config(graph, nullptr), path, "cannot set up the GIF palette filter");
  return result;
}

void writeGif(const Job& job, const fs::path& file) {
  const std::string& path = job.path;
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_GIF);
  if (!codec) fail(path, AVERROR_ENCODER_NOT_FOUND, "FFmpeg was built without the GIF encoder");
  const int width = job.width(), height = job.height();
  const AVRational rate = frameRate(job.clip.fps);

  // GIF delays are whole centiseconds; browsers slow delays under 2 cs down to 10 cs, so
  // timestamps are counted in centiseconds, at least 2 apart.
  const AVRational centiseconds{1, 100};
  PaletteGraph filter = makePaletteGraph(path, width, height, centiseconds);
  OutputFormatPtr mux = openMuxer(path, "gif", file);
  CodecContextPtr encoder = makeEncoder(path, codec, AV_PIX_FMT_PAL8, width, height, rate);
  encoder->time_base = centiseconds;
  check(avcodec_open2(encoder.get(), codec, nullptr), path, "cannot open the GIF encoder");
  Dictionary muxOptions;
  muxOptions.set("loop", "0");  // 0 = forever
  AVStream* stream = startMuxing(path, mux.get(), encoder.get(), rate, muxOptions);

  FramePtr rgb = allocFrame(path, AV_PIX_FMT_RGB24, width, height);
  FramePtr paletted(checkAlloc(av_frame_alloc(), path));
  PacketPtr packet(checkAlloc(av_packet_alloc(), path));
  const AVRational sinkTimeBase = av_buffersink_get_time_base(filter.sink);
  auto encodeFiltered = [&] {
    while (true) {
      const int result = av_buffersink_get_frame(filter.sink, paletted.get());
      if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) return;
      check(result, path, "the GIF palette filter failed");
      job.checkCancel();
      paletted->pts = av_rescale_q(paletted->pts, sinkTimeBase, encoder->time_base);
      paletted->pict_type = AV_PICTURE_TYPE_NONE;
      encodeAndMux(path, encoder.get(), paletted.get(), mux.get(), stream, packet.get());
      av_frame_unref(paletted.get());
    }
  };
  for (int i = 0; i < job.total(); ++i) {
    job.checkCancel();
    check(av_frame_make_writable(rgb.get()), path, "cannot allocate a frame");
    copyRgbInto(job.clip.frames[i], rgb.get());
    const int64_t pts = std::llround(i * 100.0 / job.clip.fps);
    rgb->pts = i == 0 ? 0 : std::max(pts, rgb->pts + 2);
    check(av_buffersrc_add_frame_flags(filter.source, rgb.get(), AV_BUFFERSRC_FLAG_KEEP_REF), path,
          "the GIF palette filter failed");
    encodeFiltered();
    job.progress(i + 1);
  }
  check(av_buffersrc_add_frame_flags(filter.source, nullptr, 0), path, "the GIF palette filter failed");
  encodeFiltered();
  encodeAndMux(path, encoder.get(), nullptr, mux.get(), stream, packet.get());
  job.checkCancel();
  finishMuxing(path, mux.get());
}

std::string pngName(int index) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%05d.png", index);
  return name;
}

/// Index of a "frame_NNNNN.png" name, or -1 for any other name.
int pngIndex(const std::string& name) {
  constexpr std::string_view kPrefix = "frame_", kSuffix = ".png";
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix))
    return -1;
  const char* begin = name.data() + kPrefix.size();
  const char* end = name.data() + name.size() - kSuffix.size();
  int index = -1;
  const auto [stop, error] = std::from_chars(begin, end, index);
  return error == std::errc() && stop == end && std::all_of(begin, end, [](char c) { return c >= '0' && c <= '9'; })
             ? index
             : -1;
}

void writeFile(const std::string& path, const fs::path& file, const AVPacket* packet) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(packet->data), packet->size);
  out.close();
  if (!out) fail(path, 0, "cannot write " + file.string() + ": " + std::strerror(errno));
}

void encodePngs(const Job& job, const fs::path& folder) {
  const std::string& path = job.path;
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) fail(path, AVERROR_ENCODER_NOT_FOUND, "FFmpeg was built without the PNG encoder");
  CodecContextPtr encoder =
      makeEncoder(path, codec, AV_PIX_FMT_RGB24, job.width(), job.height(), frameRate(job.clip.fps));
  check(avcodec_open2(encoder.get(), codec, nullptr), path, "cannot open the PNG encoder");
  FramePtr rgb = allocFrame(path, AV_PIX_FMT_RGB24, job.width(), job.height());
  PacketPtr packet(checkAlloc(av_packet_alloc(), path));
  int written = 0;
  auto writePackets = [&] {
    while (true) {
      const int result = avcodec_receive_packet(encoder.get(), packet.get());
      if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) return;
      check(result, path, "PNG encoding failed");
      writeFile(path, folder / pngName(written++), packet.get());
      av_packet_unref(packet.get());
    }
  };
  for (int i = 0; i < job.total(); ++i) {
    job.checkCancel();
    check(av_frame_make_writable(rgb.get()), path, "cannot allocate a frame");
    copyRgbInto(job.clip.frames[i], rgb.get());
    rgb->pts = i;
    check(avcodec_send_frame(encoder.get(), rgb.get()), path, "PNG encoding failed");
    writePackets();
    job.progress(i + 1);
  }
  check(avcodec_send_frame(encoder.get(), nullptr), path, "PNG encoding failed");
  writePackets();
  if (written != job.total())
    fail(path, 0, "the PNG encoder gave " + std::to_string(written) + " of " + std::to_string(job.total()) + " frames");
}

void writePngFolder(const Job& job, const fs::path& target) {
  const std::string& path = job.path;
  std::error_code error;
  const bool exists = fs::exists(target, error);
  if (exists && !fs::is_directory(target, error)) fail(path, 0, "exists and is not a folder");
  TempPath temp(target);
  if (!fs::create_directory(temp.path(), error))
    fail(path, 0, "cannot create the folder " + temp.path().string() + ": " + error.message());
  encodePngs(job, temp.path());
  job.checkCancel();
  if (!exists) {
    temp.renameTo(target, path);
    return;
  }
  for (int i = 0; i < job.total(); ++i) {
    fs::rename(temp.path() / pngName(i), target / pngName(i), error);
    if (error) fail(path, 0, "cannot move " + pngName(i) + " into place: " + error.message());
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(target, error)) {
    if (pngIndex(entry.path().filename().string()) >= job.total()) fs::remove(entry.path(), error);
  }
}

std::string lowerExtension(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

}  // namespace

void writeVideo(const std::string& path, const VideoClip& clip, const WriteOptions& options) {
  routeFfmpegLogs();
  if (path.empty()) fail(path, 0, "no output path given");
  validateClip(path, clip);
  std::error_code error;
  fs::path target = fs::absolute(path, error).lexically_normal();
  if (error) fail(path, 0, "invalid path: " + error.message());
  if (!target.has_filename()) target = target.parent_path();  // "out/" names the folder "out"
  const Job job{path, clip, options};
  const std::string extension = lowerExtension(target);

  if (extension.empty() || fs::is_directory(target, error)) {
    writePngFolder(job, target);
  } else if (extension == ".mp4" || extension == ".gif") {
    TempPath temp(target);
    if (extension == ".mp4") {
      writeMp4(job, temp.path());
    } else {
      writeGif(job, temp.path());
    }
    temp.renameTo(target, path);
  } else {
    fail(path, 0, "unsupported output type '" + extension + "' (use .mp4, .gif or a folder for PNG frames)");
  }
}

}  // namespace sm::video
