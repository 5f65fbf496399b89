#pragma once
// Allocation failures, whatever their source (CUDA's caching allocator, the
// CPU allocator, operator new), become one sm::OutOfMemoryError that says
// what was being done and what to change.
#include <torch/torch.h>

#include <new>
#include <string>

#include "core/util/error.h"

namespace sm::engine {

/// Throws OutOfMemoryError: "out of memory on <device> while <what>: <advice> (<detail>)".
[[noreturn]] void throwOutOfMemory(const std::string& what, torch::Device device, const std::string& detail);

/// Whether a c10::Error is the CPU allocator's "can't allocate memory" (it has no type of its own).
bool isAllocationFailure(const c10::Error& error);

/// Runs `work` and returns its result; allocation failures become OutOfMemoryError
/// (`what` describes the work, e.g. "denoising 1 video(s) of 16 frames at 512x512").
template <typename F>
auto guardMemory(const std::string& what, torch::Device device, F&& work) {
  try {
    return work();
  } catch (const c10::OutOfMemoryError& e) {
    throwOutOfMemory(what, device, e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throwOutOfMemory(what, device, "std::bad_alloc");
  } catch (const c10::Error& e) {
    if (isAllocationFailure(e)) throwOutOfMemory(what, device, e.what_without_backtrace());
    throw;
  }
}

}  // namespace sm::engine
