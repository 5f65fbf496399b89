#include "core/adapters/model_fingerprint.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/adapters/weight_blend.h"

namespace sm::adapters {
namespace {

// Values sampled per tensor: enough that any retrained layer changes the hash,
// few enough that a full SD 1.5 UNet is fingerprinted in a fraction of a second.
constexpr int64_t kSamplesPerTensor = 4096;

/// Two 64-bit lanes of a multiply-xorshift mix (not cryptographic: it tells
/// models apart, it does not defend against forgery).
class Hash128 {
 public:
  void add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; i += 8) {
      uint64_t word = 0;
      std::memcpy(&word, bytes + i, std::min<size_t>(8, size - i));
      a_ = mix(a_ ^ word) + 0x9e3779b97f4a7c15ULL;
      b_ = mix(b_ + word * 0xff51afd7ed558ccdULL) ^ a_;
    }
    a_ = mix(a_ ^ size);
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char out[33];
    std::snprintf(out, sizeof(out), "%016llx%016llx", static_cast<unsigned long long>(a_),
                  static_cast<unsigned long long>(b_));
    return out;
  }

 private:
  static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  }
  uint64_t a_ = 0x243f6a8885a308d3ULL;
  uint64_t b_ = 0x13198a2e03707344ULL;
};

struct PartHasher {
  Hash128 fp16, bf16;
  bool any = false;

  void add(const std::string& name, const torch::Tensor& parameter) {
    any = true;
    for (Hash128* h : {&fp16, &bf16}) {
      h->add(name);
      const auto shape = parameter.sizes();
      h->add(shape.data(), shape.size() * sizeof(int64_t));
    }
    const torch::Tensor flat = parameter.detach().reshape({-1});
    const int64_t n = flat.numel();
    const int64_t stride = std::max<int64_t>(1, n / kSamplesPerTensor);
    const torch::Tensor sample =
        flat.index_select(0,
                          torch::arange(0, n, stride, torch::TensorOptions().dtype(torch::kLong).device(flat.device())))
            .to(torch::kCPU, torch::kFloat32);
    for (auto [hash, type] : {std::pair{&fp16, torch::kFloat16}, std::pair{&bf16, torch::kBFloat16}}) {
      const torch::Tensor rounded = sample.to(type).contiguous();
      hash->add(rounded.data_ptr(), static_cast<size_t>(rounded.numel()) * 2);
    }
  }
  Fingerprint result() const { return any ? Fingerprint{fp16.hex(), bf16.hex()} : Fingerprint{}; }
};

}  // namespace

bool Fingerprint::matches(const Fingerprint& other) const {
  return (!fp16.empty() && fp16 == other.fp16) || (!bf16.empty() && bf16 == other.bf16);
}

std::string Fingerprint::toString() const { return empty() ? "" : fp16 + bf16; }

Fingerprint Fingerprint::parse(const std::string& text) {
  if (text.size() != 64 || text.find_first_not_of("0123456789abcdef") != std::string::npos) return {};
  return {text.substr(0, 32), text.substr(32)};
}

UNetFingerprint fingerprintUNet(models::UNet3DImpl& unet) {
  torch::NoGradGuard noGrad;
  PartHasher spatial, motion;
  // named_parameters() walks the modules in registration order: stable for a given architecture.
  for (const auto& item : unet.named_parameters())
    (isMotionModuleParameter(item.key()) ? motion : spatial).add(item.key(), item.value());
  return {spatial.result(), motion.result()};
}

}  // namespace sm::adapters
