// libFuzzer target for the training checkpoint's reader: the safetensors parser,
// then the checkpoint's metadata, tensor names, numbers and checksum. Malformed
// input must end in an sm::Error; anything else escaping, a crash or a
// sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "core/io/safetensors.h"
#include "core/training/checkpoint_format.h"
#include "core/util/error.h"

volatile int64_t gSink = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto index =
        sm::io::parseSafetensors(reinterpret_cast<const std::byte*>(data), size, "fuzz-checkpoint.safetensors");
    const sm::training::CheckpointHeader header = sm::training::readCheckpointHeader(index);
    gSink = header.step + static_cast<int64_t>(header.resumeJson.size());
  } catch (const sm::Error&) {
  }
  return 0;
}
