// libFuzzer target for the safetensors parser. Malformed input must end in an
// sm::Error; any other exception escaping, a crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "core/io/safetensors.h"
#include "core/util/error.h"

// Keeps the checksum loop below from being optimised away.
volatile size_t gSink = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto index = sm::io::parseSafetensors(reinterpret_cast<const std::byte*>(data), size, "fuzz.safetensors");
    // Touch what a loader would, so that a bad pointer or size shows up here.
    size_t checksum = 0;
    for (const auto& tensor : index.tensors()) {
      for (size_t i = 0; i < tensor.byteSize(); ++i) checksum += std::to_integer<size_t>(tensor.data[i]);
    }
    gSink = checksum;
  } catch (const sm::Error&) {
  }
  return 0;
}
