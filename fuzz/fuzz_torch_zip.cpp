// libFuzzer target: a whole PyTorch zip checkpoint from raw bytes (ZIP
// reader, unpickler, state-dict flattening). Seed it with tests/data/ckpt/.
#include <cstddef>
#include <cstdint>

#include "core/io/ckpt/torch_checkpoint.h"
#include "core/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    sm::io::StateDictIndex index =
        sm::io::ckpt::parseTorchCheckpoint(reinterpret_cast<const std::byte*>(data), size, "fuzz.pt");
    // Touch every byte a tensor claims, so that ASan sees any bounds mistake.
    volatile uint8_t sink = 0;
    for (const auto& t : index.tensors())
      for (size_t i = 0; i < t.storageBytes; ++i) sink = sink ^ std::to_integer<uint8_t>(t.data[i]);
  } catch (const sm::Error&) {
  }
  return 0;
}
