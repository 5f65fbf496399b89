#include "core/util/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace sm::util {
namespace {

TEST(Checksum, EverySingleBitFlipChangesIt) {
  std::mt19937 random(7);
  for (size_t size : {size_t{1}, size_t{7}, size_t{8}, size_t{31}, size_t{32}, size_t{33}, size_t{1000}}) {
    std::vector<unsigned char> bytes(size);
    for (auto& b : bytes) b = static_cast<unsigned char>(random());
    const uint64_t original = checksum64(bytes.data(), bytes.size(), 0);
    std::set<uint64_t> seen{original};
    for (size_t bit = 0; bit < size * 8; ++bit) {
      bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
      const uint64_t flipped = checksum64(bytes.data(), bytes.size(), 0);
      EXPECT_NE(flipped, original) << "size " << size << ", bit " << bit;
      seen.insert(flipped);
      bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    }
    EXPECT_EQ(seen.size(), size * 8 + 1) << "two flips collided at size " << size;
    EXPECT_EQ(checksum64(bytes.data(), bytes.size(), 0), original);  // deterministic
  }
}

TEST(Checksum, DependsOnLengthSeedAndOrder) {
  const std::vector<unsigned char> zeros(64, 0);
  EXPECT_NE(checksum64(zeros.data(), 32, 0), checksum64(zeros.data(), 33, 0));
  EXPECT_NE(checksum64("ab", 0), checksum64("ab", 1));
  EXPECT_NE(checksum64("b", checksum64("a")), checksum64("a", checksum64("b")));
  EXPECT_EQ(checksum64(""), checksum64(nullptr, 0, 0));
  const char* text = "a C string";  // takes the text overload, whatever the seed's type
  EXPECT_EQ(checksum64(text, uint64_t{5}), checksum64(std::string_view("a C string"), 5));
}

}  // namespace
}  // namespace sm::util
