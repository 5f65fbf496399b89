#include "core/engine/memory_guard.h"

namespace sm::engine {

void throwOutOfMemory(const std::string& what, torch::Device device, const std::string& detail) {
  std::string advice = "lower --frames, --width/--height or --videos, or use a shorter --context";
  if (device.is_cuda()) advice += ", or --dtype fp16";
  throw OutOfMemoryError("out of memory on " + device.str() + " while " + what + ": " + advice + " (" + detail + ")");
}

bool isAllocationFailure(const c10::Error& error) {
  const std::string what = error.what_without_backtrace();
  return what.find("can't allocate memory") != std::string::npos || what.find("out of memory") != std::string::npos;
}

}  // namespace sm::engine
