#include "core/util/checksum.h"

#include <cstring>

namespace sm::util {
namespace {

constexpr uint64_t kPrime1 = 0x9e3779b185ebca87ULL;
constexpr uint64_t kPrime2 = 0xc2b2ae3d27d4eb4fULL;
constexpr uint64_t kPrime3 = 0x165667b19e3779f9ULL;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// One lane step: every input bit reaches the lane through the multiply and the rotation.
uint64_t round(uint64_t lane, uint64_t input) { return rotl(lane + input * kPrime2, 31) * kPrime1; }

uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t checksum64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  // Four independent lanes keep the multiplier busy: several GB/s on one core.
  uint64_t lanes[4] = {seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1};
  size_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t word;
      std::memcpy(&word, p + i + 8 * l, 8);
      lanes[l] = round(lanes[l], word);
    }
  uint64_t h = rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) + rotl(lanes[3], 18);
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    h = rotl(h ^ round(0, word), 27) * kPrime1 + kPrime3;
  }
  for (; i < size; ++i) h = rotl(h ^ (p[i] * kPrime3), 11) * kPrime1;
  return avalanche(h ^ static_cast<uint64_t>(size));
}

}  // namespace sm::util
