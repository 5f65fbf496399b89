#include "core/models/clip/clip_preprocess.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace sm::models {
namespace {

// Pillow keeps 8-bit resampling in 32-bit integers: 22 fractional bits leave
// room for the 8-bit value and for sums that overshoot (bicubic has negative lobes).
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/// For each output position: the first input index and the fixed-point weights.
struct Taps {
  std::vector<int> first;
  std::vector<std::vector<int32_t>> weights;
};

Taps tapsFor(int inSize, int outSize) {
  const double scale = static_cast<double>(inSize) / outSize;
  const double filterScale = std::max(scale, 1.0);  // widen the filter when shrinking (antialiasing)
  const double support = 2.0 * filterScale;
  Taps taps;
  taps.first.resize(static_cast<size_t>(outSize));
  taps.weights.resize(static_cast<size_t>(outSize));
  for (int out = 0; out < outSize; ++out) {
    const double center = (out + 0.5) * scale;
    // Truncation toward zero, then clamping, exactly as Pillow rounds the window.
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), inSize);
    std::vector<double> w;
    double sum = 0;
    for (int x = lo; x < hi; ++x) {
      w.push_back(bicubic((x - center + 0.5) / filterScale));
      sum += w.back();
    }
    std::vector<int32_t>& fixed = taps.weights[static_cast<size_t>(out)];
    for (double v : w) {
      const double normalised = sum != 0.0 ? v / sum : v;
      const double scaled = normalised * (1 << kPrecisionBits);
      fixed.push_back(static_cast<int32_t>(scaled < 0 ? scaled - 0.5 : scaled + 0.5));
    }
    taps.first[static_cast<size_t>(out)] = lo;
  }
  return taps;
}

uint8_t clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;  // arithmetic shift: floor, as Pillow
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

/// One separable pass along x (horizontal) or y, on interleaved RGB bytes.
video::Frame resamplePass(const video::Frame& in, int outWidth, int outHeight, bool horizontal) {
  const Taps taps = horizontal ? tapsFor(in.width, outWidth) : tapsFor(in.height, outHeight);
  video::Frame out;
  out.width = outWidth;
  out.height = outHeight;
  out.rgb.resize(static_cast<size_t>(outWidth) * outHeight * 3);
  for (int y = 0; y < outHeight; ++y)
    for (int x = 0; x < outWidth; ++x) {
      const int o = horizontal ? x : y;
      const std::vector<int32_t>& w = taps.weights[static_cast<size_t>(o)];
      const int first = taps.first[static_cast<size_t>(o)];
      for (int c = 0; c < 3; ++c) {
        int32_t sum = 1 << (kPrecisionBits - 1);  // rounds to nearest on the final shift
        for (size_t k = 0; k < w.size(); ++k) {
          const int sx = horizontal ? first + static_cast<int>(k) : x;
          const int sy = horizontal ? y : first + static_cast<int>(k);
          sum += static_cast<int32_t>(in.rgb[(static_cast<size_t>(sy) * in.width + sx) * 3 + c]) * w[k];
        }
        out.rgb[(static_cast<size_t>(y) * outWidth + x) * 3 + c] = clip8(sum);
      }
    }
  return out;
}

}  // namespace

video::Frame resizeBicubicLikePillow(const video::Frame& frame, int width, int height) {
  if (width < 1 || height < 1) throw ConfigError("resize to " + std::to_string(width) + "x" + std::to_string(height));
  video::Frame out = frame;
  // Pillow: the horizontal pass first, each pass only when its size changes,
  // the intermediate image rounded to bytes.
  if (width != out.width) out = resamplePass(out, width, out.height, true);
  if (height != out.height) out = resamplePass(out, out.width, height, false);
  return out;
}

torch::Tensor clipPixels(const std::vector<video::Frame>& frames, int size) {
  std::vector<torch::Tensor> out;
  out.reserve(frames.size());
  const torch::Tensor mean = torch::tensor(std::vector<float>(kClipMean.begin(), kClipMean.end())).view({3, 1, 1});
  const torch::Tensor stdev = torch::tensor(std::vector<float>(kClipStd.begin(), kClipStd.end())).view({3, 1, 1});
  for (const video::Frame& frame : frames) {
    if (frame.width < 1 || frame.height < 1) throw ConfigError("an empty frame cannot be scored by CLIP");
    // transformers' shortest_edge resize: the short side becomes `size`, the
    // long one int(size * long / short), then a centre crop of size x size.
    const bool portrait = frame.width <= frame.height;
    const int shortSide = portrait ? frame.width : frame.height;
    const int longSide = portrait ? frame.height : frame.width;
    const int newLong = static_cast<int>(static_cast<double>(static_cast<int64_t>(size) * longSide) / shortSide);
    const int w = portrait ? size : newLong, h = portrait ? newLong : size;
    const video::Frame resized = resizeBicubicLikePillow(frame, w, h);
    const int top = (h - size) / 2, left = (w - size) / 2;
    auto bytes = torch::from_blob(const_cast<uint8_t*>(resized.rgb.data()), {h, w, 3}, torch::kUInt8);
    const torch::Tensor crop = bytes.slice(0, top, top + size).slice(1, left, left + size).permute({2, 0, 1});
    out.push_back((crop.to(torch::kFloat32) / 255.0f - mean) / stdev);
  }
  return torch::stack(out);
}

}  // namespace sm::models
