#include "core/video/video_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/util/error.h"
#include "core/video/av_handles.h"
#include "core/video/ffmpeg_log.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace sm::video {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxSide = 16384;
constexpr double kImageFolderFps = ReadOptions{}.imageFolderFps;

void checkCancel(const ReadOptions& options) {
  if (options.cancel && options.cancel->load()) throw Cancelled();
}

void validateOptions(const ReadOptions& options) {
  if (options.width < 0 || options.height < 0 || options.width > kMaxSide || options.height > kMaxSide)
    throw ConfigError("invalid output size " + std::to_string(options.width) + "x" + std::to_string(options.height));
  if (options.maxFrames < 0) throw ConfigError("maxFrames must be >= 0, got " + std::to_string(options.maxFrames));
  if (options.stride < 1) throw ConfigError("stride must be >= 1, got " + std::to_string(options.stride));
  if (options.startFrame < 0) throw ConfigError("startFrame must be >= 0, got " + std::to_string(options.startFrame));
  if (!std::isfinite(options.imageFolderFps) || options.imageFolderFps <= 0.0)
    throw ConfigError("imageFolderFps must be > 0");
}

/// An opened file, its best video stream and (optionally) a decoder for it.
struct Source {
  InputFormatPtr format;
  AVStream* stream = nullptr;
  CodecContextPtr decoder;
};

Source openSource(const std::string& path, bool withDecoder) {
  routeFfmpegLogs();
  Source source;
  AVFormatContext* raw = nullptr;
  Dictionary openOptions;
  openOptions.set("protocol_whitelist", "file");  // local files only, also for playlists inside them
  std::error_code error;
  // A pipe or device would block or stream forever: only files are videos here.
  if (fs::exists(path, error) && !fs::is_regular_file(path, error))
    throw VideoIOError(path, 0, "is not a regular file (a pipe, socket or device): name a video file");
  HeldFfmpegLogs guesses;  // dropped if the file does not open as a video: the error says it
  check(avformat_open_input(&raw, path.c_str(), nullptr, openOptions.slot()), path, "cannot open");
  source.format.reset(raw);
  check(avformat_find_stream_info(raw, nullptr), path, "cannot read the stream information");
  guesses.release();
  const int index = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  check(index, path, "no video stream");
  source.stream = raw->streams[index];
  const AVCodecParameters* parameters = source.stream->codecpar;
  if (parameters->width <= 0 || parameters->height <= 0 || parameters->width > kMaxSide ||
      parameters->height > kMaxSide)
    fail(path, AVERROR_INVALIDDATA,
         "unusable frame size " + std::to_string(parameters->width) + "x" + std::to_string(parameters->height));
  if (!withDecoder) return source;

  const AVCodec* codec = avcodec_find_decoder(parameters->codec_id);
  if (!codec)
    fail(path, AVERROR_DECODER_NOT_FOUND, std::string("no decoder for ") + avcodec_get_name(parameters->codec_id));
  source.decoder.reset(checkAlloc(avcodec_alloc_context3(codec), path));
  check(avcodec_parameters_to_context(source.decoder.get(), parameters), path, "cannot set up the decoder");
  source.decoder->pkt_timebase = source.stream->time_base;
  source.decoder->thread_count = 0;  // as many as FFmpeg sees fit
  check(avcodec_open2(source.decoder.get(), codec, nullptr), path, "cannot open the decoder");
  return source;
}

double frameRateOf(AVFormatContext* format, AVStream* stream) {
  const AVRational rate = av_guess_frame_rate(format, stream, nullptr);
  return rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
}

bool isFullRangeFormat(int format) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P: return true;
    default: return false;
  }
}

bool isYuv(int format) {
  const AVPixFmtDescriptor* descriptor = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
  return descriptor && descriptor->nb_components >= 3 &&
         !(descriptor->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BAYER));
}

/// Decoded frames (any pixel format, size and colour matrix) -> RGB24 frames of the requested size.
class RgbConverter {
 public:
  RgbConverter(const std::string& path, const ReadOptions& options) : path_(path), options_(options) {}

  Frame convert(const AVFrame* source) {
    const int sourceWidth = source->width, sourceHeight = source->height;
    if (sourceWidth <= 0 || sourceHeight <= 0 || sourceWidth > kMaxSide || sourceHeight > kMaxSide)
      fail(path_, AVERROR_INVALIDDATA, "decoded frame has an unusable size");
    int width = options_.width, height = options_.height;
    if (width == 0 && height == 0) {
      width = sourceWidth;
      height = sourceHeight;
    } else if (height == 0) {
      height = std::max(1, static_cast<int>(std::lround(double(sourceHeight) * width / sourceWidth)));
    } else if (width == 0) {
      width = std::max(1, static_cast<int>(std::lround(double(sourceWidth) * height / sourceHeight)));
    }
    // Centre crop: scale to cover width x height, keeping the aspect ratio, then cut the middle.
    int scaledWidth = width, scaledHeight = height;
    if (options_.resize == ResizeMode::CenterCrop) {
      const double scale = std::max(double(width) / sourceWidth, double(height) / sourceHeight);
      scaledWidth = std::max(width, static_cast<int>(std::lround(sourceWidth * scale)));
      scaledHeight = std::max(height, static_cast<int>(std::lround(sourceHeight * scale)));
    }

    Frame frame{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
    if (source->format == AV_PIX_FMT_RGB24 && sourceWidth == scaledWidth && sourceHeight == scaledHeight) {
      copyCentre(source->data[0], source->linesize[0], scaledWidth, scaledHeight, frame);  // exact: no rounding
      return frame;
    }
    SwsContext* next = sws_getCachedContext(
        sws_.release(), sourceWidth, sourceHeight, static_cast<AVPixelFormat>(source->format), scaledWidth,
        scaledHeight, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
    if (!next) fail(path_, AVERROR(EINVAL), "cannot convert from pixel format " + pixelFormatName(source->format));
    sws_.reset(next);
    if (isYuv(source->format)) {
      // Explicit: the source's matrix (BT.601 when unspecified) and range; RGB out is full range.
      const bool fullRange = source->color_range == AVCOL_RANGE_JPEG || isFullRangeFormat(source->format);
      sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(source->colorspace), fullRange ? 1 : 0,
                               sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    }
    uint8_t* scaledData[4] = {};
    int scaledLinesize[4] = {};
    std::vector<uint8_t> scaled;
    if (scaledWidth == width && scaledHeight == height) {
      scaledData[0] = frame.rgb.data();
      scaledLinesize[0] = width * 3;
    } else {
      scaled.resize(static_cast<size_t>(scaledWidth) * scaledHeight * 3);
      scaledData[0] = scaled.data();
      scaledLinesize[0] = scaledWidth * 3;
    }
    const int rows = sws_scale(sws_.get(), source->data, source->linesize, 0, sourceHeight, scaledData, scaledLinesize);
    if (rows <= 0) fail(path_, AVERROR(EINVAL), "pixel conversion failed");
    if (!scaled.empty()) copyCentre(scaled.data(), scaledWidth * 3, scaledWidth, scaledHeight, frame);
    return frame;
  }

 private:
  static std::string pixelFormatName(int format) {
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
    return name ? name : std::to_string(format);
  }
  /// Copies the centred frame.width x frame.height window of an RGB24 image.
  static void copyCentre(const uint8_t* data, int linesize, int width, int height, Frame& frame) {
    const int left = (width - frame.width) / 2, top = (height - frame.height) / 2;
    const size_t rowBytes = static_cast<size_t>(frame.width) * 3;
    for (int y = 0; y < frame.height; ++y)
      std::memcpy(frame.rgb.data() + y * rowBytes, data + static_cast<ptrdiff_t>(top + y) * linesize + left * 3,
                  rowBytes);
  }

  const std::string& path_;
  const ReadOptions& options_;
  SwsContextPtr sws_;
};

VideoClip readFile(const std::string& path, const ReadOptions& options) {
  Source source = openSource(path, true);
  AVFormatContext* format = source.format.get();
  AVCodecContext* decoder = source.decoder.get();
  const int streamIndex = source.stream->index;

  VideoClip clip;
  clip.fps = frameRateOf(format, source.stream) / options.stride;
  RgbConverter converter(path, options);
  PacketPtr packet(checkAlloc(av_packet_alloc(), path));
  FramePtr decoded(checkAlloc(av_frame_alloc(), path));
  int64_t index = 0;    // source frames decoded so far
  int64_t packets = 0;  // packets of the stream read so far
  const auto enough = [&] {
    return options.maxFrames > 0 && clip.frames.size() >= static_cast<size_t>(options.maxFrames);
  };
  // Takes the frames the decoder has ready; true once enough were taken.
  const auto receiveFrames = [&] {
    while (true) {
      const int result = avcodec_receive_frame(decoder, decoded.get());
      if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) return false;
      check(result, path, "cannot decode frame " + std::to_string(index));
      const int64_t current = index++;
      if (current >= options.startFrame && (current - options.startFrame) % options.stride == 0)
        clip.frames.push_back(converter.convert(decoded.get()));
      av_frame_unref(decoded.get());
      if (enough()) return true;
    }
  };

  bool done = false;
  while (!done) {
    checkCancel(options);
    const int result = av_read_frame(format, packet.get());
    if (result == AVERROR_EOF) break;
    check(result, path, "cannot read frame " + std::to_string(index));
    if (packet->stream_index != streamIndex) {
      av_packet_unref(packet.get());
      continue;
    }
    ++packets;
    if (packet->flags & AV_PKT_FLAG_CORRUPT)
      fail(path, AVERROR_INVALIDDATA, "corrupt or truncated data near frame " + std::to_string(index));
    const int sent = avcodec_send_packet(decoder, packet.get());
    av_packet_unref(packet.get());
    if (sent < 0 && sent != AVERROR(EAGAIN)) check(sent, path, "cannot decode frame " + std::to_string(index));
    done = receiveFrames();
  }
  if (!done) {
    if (format->pb && format->pb->error < 0) check(format->pb->error, path, "cannot read the file");
    check(avcodec_send_packet(decoder, nullptr), path, "cannot decode the last frames");
    done = receiveFrames();
  }
  // MP4 cut at a packet boundary reads as a clean end: compare with the sample count the
  // header declares (packets, not frames: edit lists make the decoder drop some frames).
  const int64_t declared = source.stream->nb_frames;
  if (!done && declared > 0 && packets < declared)
    fail(path, AVERROR_INVALIDDATA,
         "the file is truncated: " + std::to_string(packets) + " of " + std::to_string(declared) +
             " frames are present");
  if (clip.frames.empty())
    fail(path, 0,
         index == 0 ? std::string("no frame could be decoded")
                    : "startFrame " + std::to_string(options.startFrame) + " is past the last frame (the video has " +
                          std::to_string(index) + ")");
  return clip;
}

bool isImageFile(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"};
  return std::any_of(std::begin(kImageExtensions), std::end(kImageExtensions),
                     [&](const char* known) { return extension == known; });
}

std::vector<fs::path> listImages(const std::string& path) {
  std::vector<fs::path> images;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(".") && isImageFile(entry.path()) && entry.is_regular_file(error))
      images.push_back(entry.path());
  }
  if (error) fail(path, 0, "cannot list the folder: " + error.message());
  if (images.empty()) fail(path, 0, "the folder holds no images (png, jpg, bmp, tif, webp)");
  std::sort(images.begin(), images.end());
  return images;
}

VideoClip readFolder(const std::string& path, const ReadOptions& options) {
  const std::vector<fs::path> images = listImages(path);
  VideoClip clip;
  clip.fps = options.imageFolderFps / options.stride;
  ReadOptions one = options;
  one.maxFrames = 1;
  one.stride = 1;
  one.startFrame = 0;
  for (size_t i = options.startFrame; i < images.size(); i += options.stride) {
    checkCancel(options);
    const std::string file = images[i].string();
    Frame frame = std::move(readFile(file, one).frames.front());
    if (!clip.frames.empty() && (frame.width != clip.frames[0].width || frame.height != clip.frames[0].height))
      fail(file, 0,
           "is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + ", the first image is " +
               std::to_string(clip.frames[0].width) + "x" + std::to_string(clip.frames[0].height) +
               " (set a read size to resize them all)");
    clip.frames.push_back(std::move(frame));
    if (options.maxFrames > 0 && clip.frames.size() >= static_cast<size_t>(options.maxFrames)) break;
  }
  if (clip.frames.empty())
    fail(path, 0,
         "startFrame " + std::to_string(options.startFrame) + " is past the last image (the folder has " +
             std::to_string(images.size()) + ")");
  return clip;
}

bool isFolder(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

}  // namespace

VideoClip readVideo(const std::string& path, const ReadOptions& options) {
  validateOptions(options);
  return isFolder(path) ? readFolder(path, options) : readFile(path, options);
}

VideoInfo probeVideo(const std::string& path) {
  VideoInfo info;
  if (isFolder(path)) {
    const std::vector<fs::path> images = listImages(path);
    info = probeVideo(images.front().string());
    info.fps = kImageFolderFps;
    info.frameCount = static_cast<int64_t>(images.size());
    info.durationSeconds = info.frameCount / info.fps;
    return info;
  }
  Source source = openSource(path, false);
  const AVStream* stream = source.stream;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  info.fps = frameRateOf(source.format.get(), source.stream);
  info.codecName = avcodec_get_name(stream->codecpar->codec_id);
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    info.durationSeconds = stream->duration * av_q2d(stream->time_base);
  } else if (source.format->duration != AV_NOPTS_VALUE && source.format->duration > 0) {
    info.durationSeconds = double(source.format->duration) / AV_TIME_BASE;
  }
  if (stream->nb_frames > 0) {
    info.frameCount = stream->nb_frames;
  } else if (info.durationSeconds > 0 && info.fps > 0) {
    info.frameCount = std::llround(info.durationSeconds * info.fps);
  }
  return info;
}

}  // namespace sm::video
