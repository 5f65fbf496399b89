#pragma once
// A fast 64-bit checksum to notice damaged files (a flipped bit in a training
// checkpoint must not load silently). Not cryptographic: it guards against
// accidents, not attackers.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sm::util {

/// Hash of `size` bytes at `data`, continuing from `seed` (chain calls by
/// passing the previous result). Every bit of the input changes the result.
/// The seed has no default: with one, checksum64(text, seed) would take the
/// seed for a size instead of calling the overload below.
uint64_t checksum64(const void* data, size_t size, uint64_t seed);
inline uint64_t checksum64(std::string_view bytes, uint64_t seed = 0) {
  return checksum64(bytes.data(), bytes.size(), seed);
}

}  // namespace sm::util
