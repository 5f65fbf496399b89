// libFuzzer target: the whitelist-only unpickler on raw bytes. Any input may
// be rejected with sm::Error; nothing else may escape, crash or leak.
#include <cstddef>
#include <cstdint>

#include "core/io/ckpt/pickle.h"
#include "core/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    sm::io::ckpt::PickleValue value =
        sm::io::ckpt::unpickle(reinterpret_cast<const std::byte*>(data), size, "fuzz.pkl");
    (void)sm::io::ckpt::describe(value);
  } catch (const sm::Error&) {
  }
  return 0;
}
